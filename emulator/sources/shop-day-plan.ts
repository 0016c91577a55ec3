import {
  deleteCustomer,
  newCustomer,
  resurrectCustomer,
  updateCustomer,
  type BurstTarget,
} from './actions-customers';
import { editAccount, newAccount } from './actions-crm';
import { advanceOrder, placeOrder } from './actions-orders';
import { changePrice, newProduct, recategorizeProduct } from './actions-products';
import { DAY_MS } from './shop-options';
import type { DayContext, DayPlanner } from './shop-world';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Expected number of each action per day at scale 1 (about 400 OLTP changes with items and statuses). */
const DAILY_RATES = {
  newCustomer: 8,
  updateCustomer: 20,
  /** Bursts of 2-3 updates of one customer within an hour. */
  customerBurst: 2,
  deleteCustomer: 1,
  resurrectCustomer: 0.6,
  newProduct: 1,
  changePrice: 5,
  recategorizeProduct: 0.4,
  placeOrder: 60,
  newAccount: 3,
  editAccount: 10,
} as const;

/**
 * How far a day's order count strays from its mean (+-20 %): about the Poisson spread of 60 orders
 * a day. A shop's volume moves slowly; the default +-50 % would make a clean day fall below half of
 * the 7-day median a few times a year, which the shop's `orders_vs_7_day_median` gate rightly blocks.
 */
const ORDER_VOLUME_SPREAD = 0.2;

/** What exists when the shop opens: inserted during the first half hour of the epoch day. */
const INITIAL_POPULATION = { customers: 300, products: 60, accounts: 100 } as const;

export const planShopDay: DayPlanner = (ctx, plan, dayIndex) => {
  const scale = ctx.options.scale;
  const at = (latestOffsetMs = DAY_MS - 1) => ctx.dayStartMs + plan.int(0, latestOffsetMs);
  const repeat = (
    count: number,
    action: (ctx: DayContext, atMs: number) => void,
    latestOffsetMs?: number,
  ) => {
    for (let left = count; left > 0; left--) {
      const atMs = at(latestOffsetMs);
      ctx.enqueue(atMs, () => action(ctx, atMs));
    }
  };

  if (dayIndex === 0) {
    repeat(Math.round(INITIAL_POPULATION.customers * scale), newCustomer, 30 * MINUTE);
    repeat(Math.round(INITIAL_POPULATION.products * scale), newProduct, 30 * MINUTE);
    repeat(Math.round(INITIAL_POPULATION.accounts * scale), newAccount, HOUR);
  }

  repeat(plan.countAround(DAILY_RATES.newCustomer * scale), newCustomer);
  repeat(plan.countAround(DAILY_RATES.updateCustomer * scale), updateCustomer);
  repeat(plan.countAround(DAILY_RATES.deleteCustomer * scale), deleteCustomer);
  repeat(plan.countAround(DAILY_RATES.resurrectCustomer * scale), resurrectCustomer);
  for (let bursts = plan.countAround(DAILY_RATES.customerBurst * scale); bursts > 0; bursts--) {
    const target: BurstTarget = {};
    let atMs = at(DAY_MS - 2 * HOUR);
    for (let updates = plan.int(2, 3); updates > 0; updates--) {
      const updateAt = atMs;
      ctx.enqueue(updateAt, () => updateCustomer(ctx, updateAt, target));
      atMs += plan.int(MINUTE, 30 * MINUTE);
    }
  }

  repeat(plan.countAround(DAILY_RATES.newProduct * scale), newProduct);
  repeat(plan.countAround(DAILY_RATES.changePrice * scale), changePrice);
  repeat(plan.countAround(DAILY_RATES.recategorizeProduct * scale), recategorizeProduct);

  repeat(plan.countAround(DAILY_RATES.placeOrder * scale, ORDER_VOLUME_SPREAD), placeOrder);
  for (const [orderId, open] of ctx.state.openOrders) {
    if (open.next.atMs < ctx.dayEndMs) ctx.enqueue(open.next.atMs, () => advanceOrder(ctx, orderId));
  }

  repeat(plan.countAround(DAILY_RATES.newAccount * scale), newAccount);
  repeat(plan.countAround(DAILY_RATES.editAccount * scale), editAccount);
};

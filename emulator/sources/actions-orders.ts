import { MalformedReason } from './shop-changes';
import type { OrderItemRow, OrderRow } from './shop-schema';
import { skewedBefore, type DayContext, type OrderStatus } from './shop-world';
import type { SeededRandom } from './seeded-random';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Life of an order: each status's possible successors, tried in order, with their delay range. */
const TRANSITIONS: Partial<
  Record<OrderStatus, { to: OrderStatus; chance: number; minMs: number; maxMs: number }[]>
> = {
  placed: [
    { to: 'cancelled', chance: 0.08, minMs: 10 * MINUTE, maxMs: 6 * HOUR },
    { to: 'paid', chance: 1, minMs: 2 * MINUTE, maxMs: 3 * HOUR },
  ],
  paid: [
    { to: 'cancelled', chance: 0.04, minMs: HOUR, maxMs: 12 * HOUR },
    { to: 'shipped', chance: 1, minMs: 6 * HOUR, maxMs: 48 * HOUR },
  ],
  shipped: [{ to: 'delivered', chance: 1, minMs: 24 * HOUR, maxMs: 96 * HOUR }],
};

/** A status value the pipeline does not know (a newer app version's status): malformed. */
const UNKNOWN_STATUS = 'on_hold';

/** An order with 1-4 lines, committed in one transaction with its items. */
export function placeOrder(ctx: DayContext, atMs: number): void {
  const random = ctx.random.orders;
  const customerId = ctx.state.customers.pickKey(random);
  if (customerId === undefined || ctx.state.products.size === 0) return;
  const commitMs = ctx.commitAt(atMs);
  const orderId = ctx.state.nextIds.order++;
  const ordered = new Date(commitMs);
  const row: OrderRow = {
    order_id: orderId,
    customer_id: customerId,
    status: 'placed',
    ordered_at: ordered,
    updated_at: ordered,
  };
  ctx.emit(orderChange(row, 'I', commitMs));

  const productIds = new Set<number>();
  for (let line = random.int(1, 4); line > 0; line--) productIds.add(ctx.state.products.pickKey(random)!);
  let lineNo = 0;
  for (const productId of productIds) {
    const item: OrderItemRow = {
      order_id: orderId,
      line_no: ++lineNo,
      product_id: productId,
      quantity: random.int(1, 3),
      unit_price_cents: ctx.state.products.get(productId)!.price_cents,
    };
    ctx.emit(itemChange(item, commitMs, null));
  }
  if (random.chance(ctx.options.malformedRate)) {
    const productId = ctx.state.products.pickKey(random)!;
    const item: OrderItemRow = {
      order_id: orderId,
      line_no: ++lineNo,
      product_id: productId,
      quantity: -random.int(1, 3),
      unit_price_cents: ctx.state.products.get(productId)!.price_cents,
    };
    ctx.emit(itemChange(item, commitMs, MalformedReason.quantityNotPositive));
  }
  scheduleNext(ctx, orderId, row, commitMs);
}

/** Applies the order's scheduled status change (sometimes preceded by an unknown status: malformed). */
export function advanceOrder(ctx: DayContext, orderId: number): void {
  const random = ctx.random.orders;
  const open = ctx.state.openOrders.get(orderId);
  if (!open) throw new Error(`simulator bug: order ${orderId} has no scheduled status change`);
  const { atMs, status } = open.next;
  if (random.chance(ctx.options.malformedRate)) {
    const commitMs = ctx.commitAt(atMs);
    const row = { ...open.row, status: UNKNOWN_STATUS, updated_at: new Date(commitMs) };
    ctx.emit(orderChange(row, 'U', commitMs, { malformed: MalformedReason.statusUnknown }));
  }
  const commitMs = ctx.commitAt(atMs);
  const late = random.chance(ctx.options.lateRate);
  const row: OrderRow = {
    ...open.row,
    status,
    updated_at: late ? skewedBefore(random, open.row.updated_at!) : new Date(commitMs),
  };
  ctx.emit(orderChange(row, 'U', commitMs, { late }));
  scheduleNext(ctx, orderId, row, commitMs);
}

function scheduleNext(ctx: DayContext, orderId: number, row: OrderRow, fromMs: number): void {
  const next = nextTransition(ctx.random.orders, row.status as OrderStatus, fromMs);
  if (!next) {
    ctx.state.openOrders.delete(orderId);
    return;
  }
  ctx.state.openOrders.set(orderId, { row, next });
  if (next.atMs < ctx.dayEndMs) ctx.enqueue(next.atMs, () => advanceOrder(ctx, orderId));
}

function nextTransition(random: SeededRandom, from: OrderStatus, fromMs: number) {
  for (const option of TRANSITIONS[from] ?? []) {
    if (random.chance(option.chance)) {
      return { status: option.to, atMs: fromMs + random.int(option.minMs, option.maxMs) };
    }
  }
  return undefined;
}

function orderChange(
  row: OrderRow,
  op: 'I' | 'U',
  commitMs: number,
  flags: { late?: boolean; malformed?: MalformedReason } = {},
) {
  return {
    table: 'orders' as const,
    op,
    commitTs: new Date(commitMs),
    row,
    late: flags.late ?? false,
    noop: false,
    resurrection: false,
    malformed: flags.malformed ?? null,
  };
}

function itemChange(row: OrderItemRow, commitMs: number, malformed: MalformedReason | null) {
  return {
    table: 'order_items' as const,
    op: 'I' as const,
    commitTs: new Date(commitMs),
    row,
    late: false,
    noop: false,
    resurrection: false,
    malformed,
  };
}

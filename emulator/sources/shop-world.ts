import { KeyedPool } from './keyed-pool';
import type { AccountVersion, ShopChange } from './shop-changes';
import { DAY_MS, type ResolvedShopOptions } from './shop-options';
import type { CustomerRow, OrderRow, ProductRow } from './shop-schema';
import { SeededRandom } from './seeded-random';

export type OrderStatus = 'placed' | 'paid' | 'shipped' | 'delivered' | 'cancelled';

interface OpenOrder {
  row: OrderRow;
  next: { atMs: number; status: OrderStatus };
}

/** What the simulated systems hold at a point in time (true state: malformed rows never enter it). */
export interface ShopWorldState {
  customers: KeyedPool<number, CustomerRow>;
  deletedCustomers: KeyedPool<number, CustomerRow>;
  products: KeyedPool<number, ProductRow>;
  /** Orders that are not delivered or cancelled yet, with their next scheduled status change. */
  openOrders: Map<number, OpenOrder>;
  accounts: KeyedPool<string, AccountVersion>;
  nextIds: { customer: number; product: number; order: number; account: number };
  lastCommitMs: number;
}

/** Everything an action of one simulated day may use. Each domain draws from its own random stream. */
export interface DayContext {
  readonly state: ShopWorldState;
  readonly options: ResolvedShopOptions;
  readonly random: Record<'customers' | 'products' | 'orders' | 'crm', SeededRandom>;
  readonly dayStartMs: number;
  readonly dayEndMs: number;
  /** A commit time >= atMs, strictly after every earlier commit: changes of one key never tie. */
  commitAt(atMs: number): number;
  emit(change: ShopChange): void;
  emitAccount(version: AccountVersion): void;
  /** Runs `run` at atMs later this day; atMs must be >= the current action's time and < dayEndMs. */
  enqueue(atMs: number, run: () => void): void;
}

export interface DayOutput {
  changes: ShopChange[];
  accountVersions: AccountVersion[];
}

/** Plans one day's actions (counts and times); `planDay` in shop-day-plan.ts fills it. */
export type DayPlanner = (ctx: DayContext, plan: SeededRandom, dayIndex: number) => void;

const STREAM = { plan: 1, customers: 2, products: 3, orders: 4, crm: 5 } as const;

interface QueuedAction {
  atMs: number;
  run: () => void;
}

const LATE_SKEW_MS = { min: 1_000, max: 3_600_000 } as const;

/** A late row's `updated_at`: up to an hour before the key's previous change (a source clock running behind). */
export function skewedBefore(random: SeededRandom, previous: Date): Date {
  return new Date(previous.getTime() - random.int(LATE_SKEW_MS.min, LATE_SKEW_MS.max));
}

export function emptyWorldState(epochMs: number): ShopWorldState {
  return {
    customers: new KeyedPool(),
    deletedCustomers: new KeyedPool(),
    products: new KeyedPool(),
    openOrders: new Map(),
    accounts: new KeyedPool(),
    nextIds: { customer: 1, product: 1, order: 1, account: 1 },
    lastCommitMs: epochMs - 1,
  };
}

/**
 * Simulates UTC day `dayIndex` (0 = the epoch day) on `state`, which must hold the state at the end of
 * the previous day. Randomness comes only from (seed, dayIndex, stream), so the output is a pure
 * function of the seed and the day.
 */
export function simulateDay(
  state: ShopWorldState,
  options: ResolvedShopOptions,
  seed: number,
  dayIndex: number,
  planDay: DayPlanner,
): DayOutput {
  const dayStartMs = options.epochMs + dayIndex * DAY_MS;
  const output: DayOutput = { changes: [], accountVersions: [] };
  const queue: QueuedAction[] = [];
  let head = 0;
  let nowMs = dayStartMs;

  const ctx: DayContext = {
    state,
    options,
    random: {
      customers: new SeededRandom(seed, dayIndex, STREAM.customers),
      products: new SeededRandom(seed, dayIndex, STREAM.products),
      orders: new SeededRandom(seed, dayIndex, STREAM.orders),
      crm: new SeededRandom(seed, dayIndex, STREAM.crm),
    },
    dayStartMs,
    dayEndMs: dayStartMs + DAY_MS,
    commitAt(atMs) {
      state.lastCommitMs = Math.max(atMs, state.lastCommitMs + 1);
      return state.lastCommitMs;
    },
    emit: (change) => output.changes.push(change),
    emitAccount: (version) => output.accountVersions.push(version),
    enqueue(atMs, run) {
      if (atMs < nowMs || atMs >= dayStartMs + DAY_MS) {
        throw new Error(`simulator bug: action at ${atMs} outside [${nowMs}, ${dayStartMs + DAY_MS})`);
      }
      // Binary search for the first queued action strictly later: equal times keep enqueue order.
      let low = head;
      let high = queue.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (queue[mid]!.atMs <= atMs) low = mid + 1;
        else high = mid;
      }
      queue.splice(low, 0, { atMs, run });
    },
  };

  planDay(ctx, new SeededRandom(seed, dayIndex, STREAM.plan), dayIndex);
  for (; head < queue.length; head++) {
    const action = queue[head]!;
    nowMs = action.atMs;
    action.run();
  }
  return output;
}

/**
 * What a lane must hold after running consecutive shop days, computed from the simulator's change log
 * (test/support/lake/shop-expectations.ts for silver and gold), never from the pipeline's output.
 */
import { dayWindowUtc } from '../../../core/dates';
import { shopSnapshotAt, type ShopChange } from '../../../emulator/sources/shop-simulator';
import { bronzeRecords, cleanedChange, type DayWindow } from '../lake/shop-expectations';
import { SHOP_TIME_ZONE, type ShopWorld } from './shop-lane';

export function shopDays(world: ShopWorld, dates: string[]): DayWindow[] {
  return dates.map((logicalDate) => ({
    logicalDate,
    ...dayWindowUtc(logicalDate, SHOP_TIME_ZONE),
    // The shop's DMS task is cdc-only: no window starts with a full load (the first one starts at the
    // day's start, an hour before the shop opens at the epoch's UTC midnight).
    fullLoad: false,
  }));
}

/** Bronze of each day, as DMS lands it: the first day's full load plus every day's changes. */
export function dayRecords(world: ShopWorld, day: DayWindow): ShopChange[] {
  return bronzeRecords(world.seed, day, world.options);
}

export interface CustomerVersion {
  customer_id: number;
  email: string | null;
  tier: string | null;
  country: string | null;
}

/**
 * dim_customer's current rows after the days: SCD2 ordered by `updated_at` (ties: the later commit)
 * keeps, per customer, the valid change with the newest `updated_at`; a late change (skewed
 * `updated_at`) is never that one, and a delete carries its before image's `updated_at` with a later
 * commit, so it wins over the update it follows. Customers whose newest change is a delete have no
 * current row. Values are silver's cleaned ones (e-mail lower-cased, country upper-cased, ...).
 */
export function expectedCurrentCustomers(world: ShopWorld, days: DayWindow[]): Map<number, CustomerVersion> {
  const newest = new Map<number, ShopChange & { table: 'customers' }>();
  for (const day of days) {
    for (const change of dayRecords(world, day)) {
      if (change.table !== 'customers' || change.malformed) continue;
      const id = change.row.customer_id!;
      const held = newest.get(id);
      const order = (c: ShopChange & { table: 'customers' }) => [
        c.row.updated_at!.getTime(),
        c.commitTs.getTime(),
      ];
      const [ts, commit] = order(change);
      const [heldTs, heldCommit] = held ? order(held) : [-Infinity, -Infinity];
      if (ts! > heldTs! || (ts === heldTs && commit! > heldCommit!)) newest.set(id, change);
    }
  }
  const current = new Map<number, CustomerVersion>();
  for (const [id, change] of newest) {
    if (change.op === 'D') continue;
    const row = cleanedChange(change);
    current.set(id, {
      customer_id: id,
      email: row.email as string | null,
      tier: row.tier as string | null,
      country: row.country as string | null,
    });
  }
  return current;
}

/** Customers alive in the simulated database at the end of the last day. */
export function customersAliveAt(world: ShopWorld, instant: Date): number[] {
  return shopSnapshotAt(world.seed, instant, world.options)
    .customers.map((row) => row.customer_id!)
    .sort((a, b) => a - b);
}

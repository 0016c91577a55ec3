/**
 * What the shop pipeline's silver and gold jobs must produce, computed in plain TypeScript from the
 * simulator's change log: an expectation independent of the SQL under test.
 */
import {
  crmAccountsAt,
  shopChangeLog,
  shopSnapshotAt,
  type ShopChange,
  type ShopSimulationOptions,
} from '../../../emulator/sources/shop-simulator';
import type { ShopTable } from '../../../emulator/sources/shop-schema';
import { plainRow, type PlainRow } from './read-parquet';

export interface DayWindow {
  logicalDate: string;
  startUtc: Date;
  endUtc: Date;
  /** The DMS window of this day began with a full load. */
  fullLoad: boolean;
}

/** What bronze holds for the day: the full load (Op I at the window start) and the day's changes. */
export function bronzeRecords(seed: number, day: DayWindow, options: ShopSimulationOptions): ShopChange[] {
  const loaded: ShopChange[] = [];
  if (day.fullLoad) {
    const snapshot = shopSnapshotAt(seed, day.startUtc, options);
    for (const table of Object.keys(snapshot) as ShopTable[]) {
      for (const row of snapshot[table]) {
        loaded.push({
          table,
          op: 'I',
          commitTs: day.startUtc,
          row,
          late: false,
          noop: false,
          resurrection: false,
          malformed: null,
        } as ShopChange);
      }
    }
  }
  return [...loaded, ...shopChangeLog(seed, day.startUtc, day.endUtc, options)];
}

const trim = (text: string | null) => (text === null ? null : text.trim());
const lower = (text: string | null) => (text === null ? null : text.trim().toLowerCase());
const upper = (text: string | null) => (text === null ? null : text.trim().toUpperCase());

/** The documented silver cleaning of one valid change, as the job must write it. */
export function cleanedChange(change: ShopChange): PlainRow {
  const header = { _op: change.op, _commit_ts: change.commitTs };
  switch (change.table) {
    case 'customers': {
      const row = change.row;
      return plainRow({
        ...row,
        email: lower(row.email),
        full_name: trim(row.full_name),
        tier: lower(row.tier),
        country: upper(row.country),
        ...header,
      });
    }
    case 'products': {
      const row = change.row;
      return plainRow({
        ...row,
        sku: upper(row.sku),
        name: trim(row.name),
        category: lower(row.category),
        ...header,
      });
    }
    case 'orders':
      return plainRow({ ...change.row, status: lower(change.row.status), ...header });
    case 'order_items':
      return plainRow({ ...change.row, ...header });
  }
}

export function expectedSilver(
  table: ShopTable,
  records: ShopChange[],
): { rows: PlainRow[]; reasons: string[] } {
  const ofTable = records.filter((change) => change.table === table);
  return {
    rows: ofTable.filter((change) => !change.malformed).map(cleanedChange),
    reasons: ofTable.flatMap((change) => (change.malformed ? [change.malformed] : [])),
  };
}

export function expectedSilverAccounts(seed: number, asOf: Date, options: ShopSimulationOptions) {
  const versions = crmAccountsAt(seed, asOf, options);
  return {
    rows: versions
      .filter((version) => !version.malformed)
      .map(({ row }) =>
        plainRow({
          account_id: trim(row.account_id),
          customer_email: lower(row.customer_email),
          name: trim(row.name),
          owner: lower(row.owner),
          lifecycle_stage: lower(row.lifecycle_stage),
          last_modified: row.last_modified,
        }),
      ),
    reasons: versions.flatMap((version) => (version.malformed ? [version.malformed] : [])),
  };
}

interface PlacedOrder {
  order_id: number;
  customer_id: number;
  status: string;
  ordered_at: Date;
  lines: { product_id: number; quantity: number; unit_price_cents: number }[];
}

/** Orders placed on the day (ordered_at within the day's bounds), last valid version of the day. */
function ordersPlacedOn(day: DayWindow, records: ShopChange[]): PlacedOrder[] {
  const latestOrder = new Map<number, ShopChange & { table: 'orders' }>();
  const latestLine = new Map<string, ShopChange & { table: 'order_items' }>();
  for (const change of records) {
    if (change.malformed) continue;
    if (change.table === 'orders') latestOrder.set(change.row.order_id!, change);
    if (change.table === 'order_items')
      latestLine.set(`${change.row.order_id}/${change.row.line_no}`, change);
  }
  const placed: PlacedOrder[] = [];
  for (const { op, row } of latestOrder.values()) {
    const orderedMs = row.ordered_at!.getTime();
    if (op === 'D' || orderedMs < day.startUtc.getTime() || orderedMs >= day.endUtc.getTime()) continue;
    const lines = [...latestLine.values()]
      .filter((line) => line.op !== 'D' && line.row.order_id === row.order_id)
      .map(({ row: line }) => ({
        product_id: line.product_id!,
        quantity: line.quantity!,
        unit_price_cents: line.unit_price_cents!,
      }));
    placed.push({
      order_id: row.order_id!,
      customer_id: row.customer_id!,
      status: lower(row.status)!,
      ordered_at: row.ordered_at!,
      lines,
    });
  }
  return placed.sort((a, b) => a.order_id - b.order_id);
}

export function expectedFactOrders(day: DayWindow, records: ShopChange[]): PlainRow[] {
  return ordersPlacedOn(day, records).map((order) =>
    plainRow({
      order_id: order.order_id,
      customer_id: order.customer_id,
      status: order.status,
      ordered_at: order.ordered_at,
      item_count: order.lines.reduce((sum, line) => sum + line.quantity, 0),
      total_cents: order.lines.reduce((sum, line) => sum + line.quantity * line.unit_price_cents, 0),
    }),
  );
}

/** Revenue per category of the day's orders that are not cancelled by the end of the day. */
export function expectedDailyRevenue(
  day: DayWindow,
  records: ShopChange[],
  seed: number,
  options: ShopSimulationOptions,
): PlainRow[] {
  const categoryAtEndOfDay = new Map(
    shopSnapshotAt(seed, day.endUtc, options).products.map((product) => [
      product.product_id!,
      lower(product.category),
    ]),
  );
  const perCategory = new Map<string, { orders: Set<number>; units: number; revenue: number }>();
  for (const order of ordersPlacedOn(day, records)) {
    if (order.status === 'cancelled') continue;
    for (const line of order.lines) {
      const category = categoryAtEndOfDay.get(line.product_id)!;
      const totals = perCategory.get(category) ?? { orders: new Set<number>(), units: 0, revenue: 0 };
      totals.orders.add(order.order_id);
      totals.units += line.quantity;
      totals.revenue += line.quantity * line.unit_price_cents;
      perCategory.set(category, totals);
    }
  }
  return [...perCategory.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([category, totals]) =>
      plainRow({
        category,
        orders: totals.orders.size,
        units: totals.units,
        revenue_cents: totals.revenue,
      }),
    );
}

/** Order-insensitive comparison form of a row set. */
export function sortedJson(rows: PlainRow[]): string[] {
  return rows
    .map((row) =>
      JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => a.localeCompare(b)))),
    )
    .sort();
}

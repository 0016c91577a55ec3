/**
 * The warehouse of a lane, row for row (facts and SCD2 dimensions, lineage columns included), the
 * difference between two of them, and the SCD2 invariants a dimension must keep whatever happened.
 */
import { WAREHOUSE_TABLES } from '../../../cli/run-summary';
import type { WarehouseQuery } from '../../../activities/warehouse-query';

/** Table -> its rows as JSON text, sorted (a multiset: order-free, duplicates kept). */
export type WarehouseSnapshot = Record<string, string[]>;

export async function warehouseSnapshot(query: WarehouseQuery): Promise<WarehouseSnapshot> {
  const snapshot: WarehouseSnapshot = {};
  for (const table of WAREHOUSE_TABLES) {
    const rows = await query(`SELECT * FROM analytics.${table}`);
    snapshot[table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return snapshot;
}

/** Rows one snapshot has and the other lacks, per table (at most `limit` of each shown). */
export function snapshotDifferences(
  actual: WarehouseSnapshot,
  expected: WarehouseSnapshot,
  limit = 5,
): string[] {
  const problems: string[] = [];
  for (const table of Object.keys(expected)) {
    const missing = multisetMinus(expected[table]!, actual[table] ?? []);
    const extra = multisetMinus(actual[table] ?? [], expected[table]!);
    if (missing.length === 0 && extra.length === 0) continue;
    problems.push(
      `${table}: ${missing.length} row(s) of the clean run missing, ${extra.length} row(s) it lacks`,
      ...missing.slice(0, limit).map((row) => `  - ${row}`),
      ...extra.slice(0, limit).map((row) => `  + ${row}`),
    );
  }
  return problems;
}

function multisetMinus(from: string[], remove: string[]): string[] {
  const counts = new Map<string, number>();
  for (const row of remove) counts.set(row, (counts.get(row) ?? 0) + 1);
  return from.filter((row) => {
    const n = counts.get(row) ?? 0;
    if (n === 0) return true;
    counts.set(row, n - 1);
    return false;
  });
}

const DIMENSIONS = [
  { table: 'dim_customer', key: 'customer_id' },
  { table: 'dim_product', key: 'product_id' },
];

/** Keys with two current versions, and versions of one key whose validity overlaps. */
export async function scd2Violations(query: WarehouseQuery): Promise<string[]> {
  const problems: string[] = [];
  for (const { table, key } of DIMENSIONS) {
    const doubles = await query(
      `SELECT ${key} AS k, COUNT(*) AS n FROM analytics.${table} WHERE is_current GROUP BY ${key} HAVING COUNT(*) > 1`,
    );
    for (const row of doubles)
      problems.push(`${table} ${key}=${String(row.k)} has ${String(row.n)} current rows`);
    const overlaps = await query(
      `SELECT a.${key} AS k, a.valid_from AS a_from, a.valid_to AS a_to, b.valid_from AS b_from, b.valid_to AS b_to
       FROM analytics.${table} a JOIN analytics.${table} b
         ON a.${key} = b.${key} AND a.surrogate_key < b.surrogate_key
        AND a.valid_from < b.valid_to AND b.valid_from < a.valid_to`,
    );
    for (const row of overlaps)
      problems.push(
        `${table} ${key}=${String(row.k)}: [${String(row.a_from)}, ${String(row.a_to)}) overlaps [${String(row.b_from)}, ${String(row.b_to)})`,
      );
    const [versions] = await query(`SELECT COUNT(*) AS n FROM analytics.${table}`);
    if (Number(versions?.n ?? 0) === 0) problems.push(`${table} is empty`);
  }
  return problems;
}

/**
 * Reading what a lane produced: silver / gold partitions from its lake (plain Parquet files under the
 * emulator's data directory) and warehouse tables through the Redshift Data API, in the plain form the
 * expectations use (timestamps as ISO strings, BIGINTs as numbers).
 */
import { existsSync } from 'node:fs';
import { lakeLayout } from '../../../core/lake-layout';
import type { RedshiftRow as WarehouseRow } from '../../../activities/redshift-data';
import { type PlainRow, queryRows } from '../lake/read-parquet';
import type { ShopLane } from './shop-lane';

async function partitionRows(lane: ShopLane, uri: string): Promise<PlainRow[]> {
  const dir = lane.lakePath(uri);
  if (!existsSync(dir)) throw new Error(`${uri} was never written (looked in ${dir})`);
  return queryRows(
    `SELECT * FROM read_parquet('${dir.replaceAll("'", "''")}/*.parquet', hive_partitioning = false)`,
  );
}

export function silverRows(lane: ShopLane, table: string, logicalDate: string): Promise<PlainRow[]> {
  return partitionRows(lane, lakeLayout.silver(lane.world.bucket, table, logicalDate));
}

export function goldRows(lane: ShopLane, table: string, logicalDate: string): Promise<PlainRow[]> {
  return partitionRows(lane, lakeLayout.gold(lane.world.bucket, table, logicalDate));
}

/** A TIMESTAMP column as the ISO-8601 UTC text the expectations hold (DuckDB warehouse). */
export function isoTimestamp(column: string): string {
  return `strftime(${column}, '%Y-%m-%dT%H:%M:%S.%gZ') AS ${column}`;
}

export function numbersAndText(row: WarehouseRow): PlainRow {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [
      key,
      typeof value === 'string' && /^-?\d+$/.test(value) && key !== 'dt' ? Number(value) : value,
    ]),
  );
}

import { withScratchConnection } from '../runtime/scratch-duckdb';
import { applyBadDays, type BadDays } from './bad-days';
import { datePath } from '../../core/lake-layout';
import { type CellValue, writeParquetFiles } from './parquet-file';
import type { ShopChange } from './shop-changes';
import type { ShopSimulationOptions } from './shop-options';
import {
  DMS_HEADER_COLUMNS,
  SHOP_TABLES,
  SHOP_TABLE_NAMES,
  type ShopRows,
  type ShopTable,
} from './shop-schema';
import { shopChangeLog, shopSnapshotAt } from './shop-timeline';
import type { DmsWindowRequest, DmsWindowResult } from './source-api';
import { assertTimeZone, dmsFileStamp, localDate } from './zoned-time';

/** DMS splits a full load into files of at most MaxFileSize; the simulator counts rows instead. */
const ROWS_PER_LOAD_FILE = 50_000;

interface PlannedFile {
  uri: string;
  rows: CellValue[][];
}

/**
 * Writes what a DMS task (Parquet, IncludeOpForFullLoad, TimestampColumnName=_commit_ts, date
 * partitioning YYYYMMDD with SLASH in partitionTimeZone) writes for the window:
 * - full load: `<schema>/<table>/<YYYY>/<MM>/<DD>/LOAD00000001.parquet` (hex counter), Op 'I', `_commit_ts`
 *   = the window start (DMS stamps full-load rows with the transfer time), folder = that instant's date;
 * - CDC: one file per table, commit date (in the zone) and batch interval (CdcMaxBatchInterval seconds
 *   of commit time counted from the window start), named after its first commit
 *   (`yyyyMMdd-HHmmssSSS.parquet`), rows in commit order. Tables without rows get no folder, like DMS.
 * File names and bytes depend only on (seed, window, interval), so a rerun of a window rewrites
 * identical files.
 */
export async function writeDmsWindow(
  request: DmsWindowRequest,
  options?: ShopSimulationOptions,
  badDays?: BadDays,
): Promise<DmsWindowResult> {
  const tables = validateRequest(request);
  const outputUri = request.outputUri.endsWith('/') ? request.outputUri : `${request.outputUri}/`;
  const changes = applyBadDays(
    shopChangeLog(request.seed, request.fromUtc, request.toUtc, options),
    request.partitionTimeZone,
    badDays?.() ?? {},
  );
  const snapshot = request.fullLoad ? shopSnapshotAt(request.seed, request.fromUtc, options) : undefined;

  return withScratchConnection(async (connection) => {
    const perTable: DmsWindowResult['perTable'] = {};
    for (const table of tables) {
      const prefix = `${outputUri}${request.schema}/${table}/`;
      const files = [
        ...(snapshot ? planLoadFiles(prefix, table, snapshot[table], request) : []),
        ...planCdcFiles(prefix, table, changes, request),
      ];
      const columns = [...DMS_HEADER_COLUMNS, ...SHOP_TABLES[table].columns];
      await writeParquetFiles(
        connection,
        columns,
        files.map((file) => ({ filePath: request.resolve(file.uri), rows: file.rows })),
      );
      perTable[table] = {
        rows: files.reduce((sum, file) => sum + file.rows.length, 0),
        files: files.map((file) => file.uri),
      };
    }
    const written = changes.filter((change) => tables.includes(change.table));
    const last = written.at(-1)?.commitTs ?? request.fromUtc;
    return { perTable, lastCommitUtc: last.toISOString() };
  });
}

function planLoadFiles<T extends ShopTable>(
  prefix: string,
  table: T,
  rows: ShopRows[T][],
  request: DmsWindowRequest,
): PlannedFile[] {
  const folder = datePath(localDate(request.fromUtc, request.partitionTimeZone));
  const files: PlannedFile[] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_LOAD_FILE) {
    const counter = (files.length + 1).toString(16).toUpperCase().padStart(8, '0');
    files.push({
      uri: `${prefix}${folder}/LOAD${counter}.parquet`,
      rows: rows
        .slice(start, start + ROWS_PER_LOAD_FILE)
        .map((row) => rowImage(table, 'I', request.fromUtc, row)),
    });
  }
  return files;
}

function planCdcFiles(
  prefix: string,
  table: ShopTable,
  changes: ShopChange[],
  request: DmsWindowRequest,
): PlannedFile[] {
  const intervalMs = request.cdcMaxBatchInterval * 1000;
  const files = new Map<string, PlannedFile>();
  for (const change of changes) {
    if (change.table !== table) continue;
    const folder = datePath(localDate(change.commitTs, request.partitionTimeZone));
    const batch = `${folder}|${Math.floor((change.commitTs.getTime() - request.fromUtc.getTime()) / intervalMs)}`;
    let file = files.get(batch);
    if (!file) {
      file = { uri: `${prefix}${folder}/${dmsFileStamp(change.commitTs)}.parquet`, rows: [] };
      files.set(batch, file);
    }
    file.rows.push(rowImage(table, change.op, change.commitTs, change.row));
  }
  return [...files.values()];
}

function rowImage<T extends ShopTable>(table: T, op: string, commitTs: Date, row: ShopRows[T]): CellValue[] {
  const values = row as unknown as Record<string, CellValue>;
  return [op, commitTs, ...SHOP_TABLES[table].columns.map((column) => values[column.name] ?? null)];
}

function validateRequest(request: DmsWindowRequest): ShopTable[] {
  for (const name of ['fromUtc', 'toUtc'] as const) {
    if (!(request[name] instanceof Date) || Number.isNaN(request[name].getTime())) {
      throw new Error(`${name} must be a valid Date, got ${String(request[name])}`);
    }
  }
  if (request.toUtc.getTime() < request.fromUtc.getTime()) {
    throw new Error(
      `toUtc (${request.toUtc.toISOString()}) is before fromUtc (${request.fromUtc.toISOString()})`,
    );
  }
  if (!/^s3:\/\/[^/]+\//.test(request.outputUri)) {
    throw new Error(
      `outputUri must be an s3:// prefix such as s3://lake/bronze/cdc/, got '${request.outputUri}'`,
    );
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(request.schema)) {
    throw new Error(`schema must be a plain identifier such as 'shop', got '${request.schema}'`);
  }
  assertTimeZone(request.partitionTimeZone);
  const interval = request.cdcMaxBatchInterval;
  if (!(Number.isInteger(interval) && interval >= 1)) {
    throw new Error(`cdcMaxBatchInterval must be a whole number of seconds >= 1, got ${String(interval)}`);
  }
  if (request.tables.length === 0)
    throw new Error(`tables is empty; the shop source has ${SHOP_TABLE_NAMES.join(', ')}`);
  for (const table of request.tables) {
    if (!(table in SHOP_TABLES)) {
      throw new Error(`tables: unknown table '${table}'; the shop source has ${SHOP_TABLE_NAMES.join(', ')}`);
    }
  }
  return [...new Set(request.tables)] as ShopTable[];
}

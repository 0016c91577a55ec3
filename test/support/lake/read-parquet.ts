import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

type PlainValue = string | number | boolean | null;
export type PlainRow = Record<string, PlainValue>;

/** Dates as ISO strings, BIGINTs as numbers: the form tests compare with their expectations. */
function plain(value: unknown): PlainValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new Error(`unexpected value of type ${typeof value}`);
}

export function plainRow(row: Record<string, unknown>): PlainRow {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, plain(value)]));
}

/** Runs a query with DuckDB (e.g. over read_parquet) and returns plain rows. */
export async function queryRows(sql: string): Promise<PlainRow[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJS().map((row) => plainRow(row));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Every row of one Parquet file, in file order (no columns derived from key=value folders). */
export function readParquetFile(path: string): Promise<PlainRow[]> {
  return queryRows(`SELECT * FROM read_parquet('${path.replaceAll("'", "''")}', hive_partitioning = false)`);
}

/** Column names of a Parquet file, in order. */
export async function parquetColumns(path: string): Promise<string[]> {
  const rows = await queryRows(
    `SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet('${path.replaceAll("'", "''")}', hive_partitioning = false))`,
  );
  return rows.map((row) => String(row.column_name));
}

/** Relative path -> bytes of every file below dir (what "byte-identical output" compares). */
export async function filesWithBytes(dir: string): Promise<Map<string, Buffer>> {
  const result = new Map<string, Buffer>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    result.set(relative(dir, path), await readFile(path));
  }
  return new Map([...result.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

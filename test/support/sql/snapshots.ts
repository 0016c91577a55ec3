import type { Row, Value, WarehouseEngine } from './engines';

/**
 * Reads tables in a shape both engines return identically: every column cast to VARCHAR except
 * booleans, so PostgreSQL numbers / Dates and DuckDB bigints / timestamp objects compare as text.
 */
export interface SnapshotColumn {
  name: string;
  boolean?: boolean;
}

/** The columns SCD2 adds to a dimension's key and attributes, as the SCD2 tests read its versions. */
export const SCD2_VERSION_COLUMNS: readonly SnapshotColumn[] = [
  { name: 'valid_from' },
  { name: 'valid_to' },
  { name: 'is_current', boolean: true },
  { name: 'is_deleted', boolean: true },
  { name: 'batch_id' },
  { name: 'closed_batch_id' },
];

export async function readTable(
  engine: WarehouseEngine,
  schema: string,
  table: string,
  columns: readonly SnapshotColumn[],
  orderBy: readonly string[],
  where?: string,
): Promise<Row[]> {
  const q = (name: string) => engine.dialect.ident(name);
  const select = columns
    .map((column) =>
      column.boolean ? q(column.name) : `CAST(${q(column.name)} AS VARCHAR) AS ${q(column.name)}`,
    )
    .join(', ');
  const rows = await engine.query(
    `SELECT ${select} FROM ${q(schema)}.${q(table)}${where ? ` WHERE ${where}` : ''} ORDER BY ${orderBy
      .map(q)
      .join(', ')}`,
  );
  return rows.map((row) => normalizeRow(row));
}

function normalizeValue(value: unknown): Value {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'bigint' || typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  throw new Error(`unexpected ${typeof value} value in a snapshot: cast the column to VARCHAR`);
}

function normalizeRow(row: Record<string, unknown>): Row {
  return Object.fromEntries(Object.entries(row).map(([name, value]) => [name, normalizeValue(value)]));
}

/** Integer columns of a query result (counts), as JS numbers. */
export function toCounts(row: Record<string, unknown>): Record<string, number> {
  return Object.fromEntries(Object.entries(row).map(([name, value]) => [name, Number(value)]));
}

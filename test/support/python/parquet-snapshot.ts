import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type PlainRow, queryRows } from '../lake/read-parquet';

export interface ParquetSnapshot {
  files: number;
  /** `name: logical type`, in file order. */
  columns: string[];
  /** Rows as JSON with sorted keys, sorted: the comparison does not depend on row order in the file. */
  rows: string[];
}

/**
 * What a column holds, from its Parquet physical type and annotations. An integer without annotation
 * and one annotated INT(64, signed) mean the same (Parquet format spec, LogicalTypes.md: "INT64 ...
 * signed 64-bit integer" when unannotated), so Spark's and DuckDB's integers compare equal; every
 * other difference, a timestamp's unit or isAdjustedToUTC above all, is kept.
 */
function logicalType(column: PlainRow): string {
  const physical = String(column.type);
  const logical = column.logical_type === null ? '' : String(column.logical_type);
  const converted = column.converted_type === null ? '' : String(column.converted_type);
  const int = /^IntType\(bitWidth=(\d+), isSigned=(\d)\)$/.exec(logical);
  if (physical === 'BYTE_ARRAY' && (logical.startsWith('StringType') || converted === 'UTF8'))
    return 'STRING';
  if ((physical === 'INT64' || physical === 'INT32') && !logical && (!converted || /^INT_/.test(converted)))
    return physical;
  if (int && int[2] === '1' && `INT${int[1]}` === physical) return physical;
  const timestamp = /^TimestampType\(isAdjustedToUTC=(\d), unit=TimeUnit\((.*)\)\)$/.exec(logical);
  if (physical === 'INT64' && timestamp) {
    const unit = /(MILLIS|MICROS|NANOS)=[A-Za-z]+\(\)/.exec(timestamp[2]!)?.[1] ?? timestamp[2];
    return `TIMESTAMP(${unit}, isAdjustedToUTC=${timestamp[1] === '1'})`;
  }
  if (physical === 'INT32' && (logical.startsWith('DateType') || converted === 'DATE')) return 'DATE';
  if ((physical === 'BOOLEAN' || physical === 'DOUBLE' || physical === 'FLOAT') && !logical) return physical;
  return `${physical} ${logical} ${converted}`.trim();
}

/** Every *.parquet file directly under `dir` (a job's output prefix), read as one table. */
export async function parquetSnapshot(dir: string): Promise<ParquetSnapshot> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.parquet')).sort();
  if (files.length === 0) return { files: 0, columns: [], rows: [] };
  const quoted = (path: string) => `'${path.replaceAll("'", "''")}'`;
  const schema = await queryRows(
    `SELECT name, type, logical_type, converted_type, num_children FROM parquet_schema(${quoted(join(dir, files[0]!))})`,
  );
  const columns = schema
    .filter((column) => !column.num_children)
    .map((column) => `${String(column.name)}: ${logicalType(column)}`);
  const glob = files.map((name) => quoted(join(dir, name))).join(', ');
  const rows = await queryRows(`SELECT * FROM read_parquet([${glob}], hive_partitioning = false)`);
  return {
    files: files.length,
    columns,
    rows: rows
      .map((row) =>
        JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => a.localeCompare(b)))),
      )
      .sort(),
  };
}

import type { ColumnType } from '../warehouse-spec';
import { parseColumnType } from './column-types';
import { type Dialect, type StagingColumn, quoteIdentifier, quoteLiteral } from './dialect';

function duckdbColumnType(type: ColumnType): string {
  const parsed = parseColumnType(type);
  switch (parsed.kind) {
    case 'varchar-n':
      return `VARCHAR(${parsed.length})`;
    case 'decimal':
      return `DECIMAL(${parsed.precision},${parsed.scale})`;
    default:
      return parsed.kind.toUpperCase();
  }
}

/**
 * The dialect the local emulator runs (DuckDB). Staging reads `read_parquet('<sourceUri>*.parquet')`
 * with the s3:// URI as written: the emulator rewrites s3:// literals to its local lake directory.
 */
export function duckdbDialect(): Dialect {
  return {
    name: 'duckdb',
    ident: quoteIdentifier,
    literal: quoteLiteral,
    columnType: duckdbColumnType,
    textOf(expr: string, type: ColumnType): string {
      const kind = parseColumnType(type).kind;
      return kind === 'varchar' || kind === 'varchar-n' ? expr : `CAST(${expr} AS VARCHAR)`;
    },
    nullSafeEqual: (a, b) => `(${a} IS NOT DISTINCT FROM ${b})`,
    currentUtcTimestamp: () => `timezone('UTC', current_timestamp)`,
    // DuckDB's DROP TABLE takes one name ("Can only drop one object at a time").
    dropTablesSql: (tables) => tables.map((table) => `DROP TABLE ${table}`),
    loadStagingSql(
      stagingTable: string,
      columns: readonly StagingColumn[],
      sourceUri: string,
      guard: string,
    ) {
      const select = columns
        .map((column) => `CAST(${quoteIdentifier(column.name)} AS ${duckdbColumnType(column.type)})`)
        .join(', ');
      const names = columns.map((column) => quoteIdentifier(column.name)).join(', ');
      return `INSERT INTO ${stagingTable} (${names}) SELECT ${select} FROM read_parquet(${quoteLiteral(
        `${sourceUri}*.parquet`,
      )}, union_by_name = true) WHERE ${guard}`;
    },
  };
}

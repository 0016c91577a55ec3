import type { ColumnType } from '../warehouse-spec';

/** A column of a staging (temp) table, in the order the change/fact files hold them. */
export interface StagingColumn {
  name: string;
  type: ColumnType;
}

/**
 * What differs between the warehouse engines. Everything else in core/sql/ is written once, in the
 * subset both engines run: CREATE TEMP TABLE ... AS SELECT, INSERT ... SELECT, UPDATE ... FROM,
 * NOT EXISTS, window functions with explicit frames; no MERGE, no procedural code.
 */
export interface Dialect {
  readonly name: 'redshift' | 'duckdb';
  /** A double-quoted identifier. Callers pass names validated by core/warehouse-spec.ts. */
  ident(name: string): string;
  /** An escaped string literal. */
  literal(value: string): string;
  /** DDL type of a portable column type. */
  columnType(type: ColumnType): string;
  /** `expr` rendered as text for hashing (NULL stays NULL). */
  textOf(expr: string, type: ColumnType): string;
  /** TRUE when a and b are equal or both NULL, FALSE otherwise (never NULL). */
  nullSafeEqual(a: string, b: string): string;
  /** The current time as a UTC TIMESTAMP without zone. */
  currentUtcTimestamp(): string;
  /**
   * Loads the batch's Parquet files into the (already created) staging table: on Redshift those the
   * COPY manifest at `manifestUri` lists, on DuckDB the `*.parquet` files under `sourceUri`.
   */
  /** Statements that drop these tables (Redshift and PostgreSQL take a list, DuckDB one at a time). */
  dropTablesSql(tables: readonly string[]): string[];
  loadStagingSql(
    stagingTable: string,
    columns: readonly StagingColumn[],
    sourceUri: string,
    guard: string,
    manifestUri?: string,
  ): string;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A standard SQL string literal. Backslashes and control characters are refused rather than escaped:
 * Redshift (PostgreSQL 8.0 lineage) treats a backslash in a literal as an escape while PostgreSQL and
 * DuckDB do not, so no single escaping is right for every engine. Every value the generators quote
 * (qualified table names, batch ids, dates, URIs, role ARNs) is validated to exclude them.
 */
export function quoteLiteral(value: string): string {
  if (/[\\\u0000-\u001f]/.test(value)) {
    throw new Error(
      `cannot quote ${JSON.stringify(value)} as a SQL literal: backslashes and control characters are not allowed`,
    );
  }
  return `'${value.replaceAll("'", "''")}'`;
}

export function qualified(dialect: Dialect, schema: string, table: string): string {
  return `${dialect.ident(schema)}.${dialect.ident(table)}`;
}

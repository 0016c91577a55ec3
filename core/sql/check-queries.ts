/**
 * The SQL that measures a data-quality check (core/quality-checks.ts): ONE SELECT returning one row
 * with one numeric column `measured`. The same text runs in the lake (Spark SQL on Glue / EMR
 * Serverless, DuckDB in the emulator: names are validated lower_snake_case, so they need no quoting)
 * and, with the warehouse dialect's quoting, on Redshift / DuckDB / PostgreSQL over a staged batch.
 * Row counts and quarantine ratios of a job stage come from its metrics instead (no SQL).
 */
import type { QualityCheck } from '../quality-checks';

const MEASURED_COLUMN = 'measured';

export interface CheckSqlContext {
  /** The checked rows: the job's output view, or the warehouse staging table (already quoted). */
  table: string;
  /** Quotes an identifier (the lake passes names through; the warehouse double-quotes them). */
  ident: (name: string) => string;
  /** The referenced table of a `references` check, quoted. */
  referencedTable: (name: string) => string;
  /** UTC 'YYYY-MM-DD HH:MM:SS' of the logical date's end minus a freshness check's window. */
  freshSince: (check: Extract<QualityCheck, { kind: 'freshness' }>) => string;
  /** True where the row count is measured by SQL (warehouse), false where metrics give it (lake). */
  countsRows: boolean;
}

/** The measuring SELECT, or undefined when the check is measured from the job's metrics. */
export function checkMeasureSql(check: QualityCheck, context: CheckSqlContext): string | undefined {
  const { table, ident } = context;
  const measured = ident(MEASURED_COLUMN);
  switch (check.kind) {
    case 'rowCount':
      return context.countsRows ? `SELECT COUNT(*) AS ${measured} FROM ${table}` : undefined;
    case 'quarantineRatio':
      return undefined;
    case 'unique': {
      const key = check.columns.map(ident).join(', ');
      return `SELECT COUNT(*) AS ${measured} FROM (SELECT ${key} FROM ${table} GROUP BY ${key} HAVING COUNT(*) > 1) duplicated`;
    }
    case 'notNull':
      return `SELECT COUNT(*) AS ${measured} FROM ${table} WHERE ${check.columns
        .map((name) => `${ident(name)} IS NULL`)
        .join(' OR ')}`;
    case 'freshness':
      return `SELECT COUNT(*) AS ${measured} FROM ${table} WHERE ${ident(check.column)} >= TIMESTAMP '${context.freshSince(check)}'`;
    case 'references': {
      const referenced = check.tableColumns ?? check.columns;
      const matches = check.columns
        .map((name, i) => `r.${ident(referenced[i]!)} = c.${ident(name)}`)
        .join(' AND ');
      const present = check.columns.map((name) => `c.${ident(name)} IS NOT NULL`).join(' AND ');
      return `SELECT COUNT(*) AS ${measured} FROM ${table} c WHERE ${present} AND NOT EXISTS (SELECT 1 FROM ${context.referencedTable(
        check.table,
      )} r WHERE ${matches})`;
    }
    case 'predicate':
      return `SELECT COUNT(*) AS ${measured} FROM ${table} WHERE NOT COALESCE((${check.sql}), FALSE)`;
  }
}

/** UTC 'YYYY-MM-DD HH:MM:SS' of `dayEndUtc` minus `windowMs`: the oldest change a fresh day may have. */
export function freshSinceUtc(dayEndUtc: string, windowMs: number): string {
  return new Date(Date.parse(dayEndUtc) - windowMs).toISOString().slice(0, 19).replace('T', ' ');
}

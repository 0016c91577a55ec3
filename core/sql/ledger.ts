import type { BatchIdentity } from '../warehouse-spec';
import type { Dialect } from './dialect';

/**
 * The load ledger: one row per (table, logical date, batch id) applied, written in the load's own
 * transaction. Every statement of a load is guarded by `NOT EXISTS` on its ledger row, so replaying a
 * batch that committed is a no-op, statement by statement, without procedural code. (Redshift does not
 * enforce primary keys; the guard is what makes the replay safe there.)
 */
const LEDGER_TABLE = 'medallion_load_ledger';

export function ledgerTable(dialect: Dialect, schema: string): string {
  return `${dialect.ident(schema)}.${dialect.ident(LEDGER_TABLE)}`;
}

/** The value of the ledger's table_name column: `<schema>.<table>`. */
export function ledgerTableName(schema: string, table: string): string {
  return `${schema}.${table}`;
}

export function createLedgerSql(dialect: Dialect, schema: string): string {
  const q = (name: string) => dialect.ident(name);
  return `CREATE TABLE IF NOT EXISTS ${ledgerTable(dialect, schema)} (${q('table_name')} VARCHAR(256) NOT NULL, ${q(
    'logical_date',
  )} DATE NOT NULL, ${q('batch_id')} VARCHAR(128) NOT NULL, ${q('rows')} BIGINT NOT NULL, ${q(
    'loaded_at',
  )} TIMESTAMP NOT NULL, PRIMARY KEY (${q('table_name')}, ${q('logical_date')}, ${q('batch_id')}))`;
}

/** A predicate that is true while the batch has not been recorded in the ledger. */
export function ledgerGuard(dialect: Dialect, schema: string, table: string, batch: BatchIdentity): string {
  const q = (name: string) => dialect.ident(name);
  return `NOT EXISTS (SELECT 1 FROM ${ledgerTable(dialect, schema)} WHERE ${q('table_name')} = ${dialect.literal(
    ledgerTableName(schema, table),
  )} AND ${q('logical_date')} = ${dateLiteral(dialect, batch.logicalDate)} AND ${q('batch_id')} = ${dialect.literal(
    batch.batchId,
  )})`;
}

/** The batch's ledger row (`rows`), or no row when the batch has not been applied. */
export function ledgerLookupSql(
  dialect: Dialect,
  schema: string,
  table: string,
  batch: BatchIdentity,
): string {
  const q = (name: string) => dialect.ident(name);
  return `SELECT ${q('rows')} FROM ${ledgerTable(dialect, schema)} WHERE ${q('table_name')} = ${dialect.literal(
    ledgerTableName(schema, table),
  )} AND ${q('logical_date')} = ${dateLiteral(dialect, batch.logicalDate)} AND ${q('batch_id')} = ${dialect.literal(
    batch.batchId,
  )}`;
}

/**
 * The ledger rows of a merge of several dates: one row (`rows`, their sum) when every batch has its
 * row, no row while any is missing. A merge writes all its rows in one transaction, so "all" means
 * the merge committed.
 */
export function ledgerLookupAllSql(
  dialect: Dialect,
  schema: string,
  table: string,
  batches: readonly BatchIdentity[],
): string {
  const q = (name: string) => dialect.ident(name);
  const wanted = batches
    .map(
      (batch) =>
        `(${q('logical_date')} = ${dateLiteral(dialect, batch.logicalDate)} AND ${q('batch_id')} = ${dialect.literal(
          batch.batchId,
        )})`,
    )
    .join(' OR ');
  return `SELECT found.${q('rows')} FROM (SELECT COUNT(*) AS ${q('n')}, SUM(${q('rows')}) AS ${q('rows')} FROM ${ledgerTable(
    dialect,
    schema,
  )} WHERE ${q('table_name')} = ${dialect.literal(ledgerTableName(schema, table))} AND (${wanted})) found WHERE found.${q(
    'n',
  )} = ${batches.length}`;
}

export function insertLedgerRowSql(
  dialect: Dialect,
  schema: string,
  table: string,
  batch: BatchIdentity,
  rowCountQuery: string,
): string {
  const q = (name: string) => dialect.ident(name);
  return `INSERT INTO ${ledgerTable(dialect, schema)} (${q('table_name')}, ${q('logical_date')}, ${q('batch_id')}, ${q(
    'rows',
  )}, ${q('loaded_at')}) SELECT ${dialect.literal(ledgerTableName(schema, table))}, ${dateLiteral(
    dialect,
    batch.logicalDate,
  )}, ${dialect.literal(batch.batchId)}, counted.${q('n')}, ${dialect.currentUtcTimestamp()} FROM (${rowCountQuery}) counted WHERE ${ledgerGuard(
    dialect,
    schema,
    table,
    batch,
  )}`;
}

export function dateLiteral(dialect: Dialect, date: string): string {
  return `CAST(${dialect.literal(date)} AS DATE)`;
}

export function timestampLiteral(dialect: Dialect, timestamp: string): string {
  return `CAST(${dialect.literal(timestamp)} AS TIMESTAMP)`;
}

import {
  type DimensionSpecInput,
  type BatchIdentity,
  parseBatchIdentity,
  parseDimensionSpec,
} from '../warehouse-spec';
import { type Dialect, qualified } from './dialect';
import { SCD2_STATS_TABLE } from './dimension-layout';
import { dateLiteral, ledgerTableName } from './ledger';

/**
 * Per-batch counts of an SCD2 merge, written in the merge's transaction (so a replayed batch keeps the
 * counts of the run that applied it):
 * - changes_staged: rows in the batch's files; changes_rejected: rows without a business key, orderBy
 *   or a valid operation (I/U/D); changes_superseded: valid rows dropped because another change of the
 *   same key had the same orderBy and a higher sequence (exact duplicates included);
 * - changes_replayed / changes_late: changes not newer than their key's watermark, already shown by the
 *   history / conflicting with it (see the late-arriving policy);
 * - changes_noop: applied changes that changed no tracked value (updates) or deleted an absent key;
 * - versions_opened: rows inserted; versions_closed: rows this batch ended (the previous current rows
 *   and versions opened and ended within the batch); type1_updates: current rows whose type-1 columns
 *   were overwritten in place.
 */
export const SCD2_STATS_COUNT_COLUMNS = [
  'changes_staged',
  'changes_rejected',
  'changes_superseded',
  'changes_replayed',
  'changes_late',
  'changes_noop',
  'versions_opened',
  'versions_closed',
  'type1_updates',
] as const;

export function createScd2StatsTableSql(dialect: Dialect, schema: string): string {
  const q = (name: string) => dialect.ident(name);
  const counts = SCD2_STATS_COUNT_COLUMNS.map((name) => `${q(name)} BIGINT NOT NULL`).join(', ');
  return `CREATE TABLE IF NOT EXISTS ${qualified(dialect, schema, SCD2_STATS_TABLE)} (${q(
    'table_name',
  )} VARCHAR(256) NOT NULL, ${q('logical_date')} DATE NOT NULL, ${q('batch_id')} VARCHAR(128) NOT NULL, ${counts}, ${q(
    'merged_at',
  )} TIMESTAMP NOT NULL, PRIMARY KEY (${q('table_name')}, ${q('logical_date')}, ${q('batch_id')}))`;
}

/**
 * The query the pipeline runs after a merge to report it: one row with the columns of
 * SCD2_STATS_COUNT_COLUMNS (no row when the batch was never applied).
 */
export function scd2BatchCountsSql(
  specInput: DimensionSpecInput,
  batchInput: BatchIdentity,
  dialect: Dialect,
): string {
  const spec = parseDimensionSpec(specInput);
  const batch = parseBatchIdentity(batchInput);
  const q = (name: string) => dialect.ident(name);
  return `SELECT ${SCD2_STATS_COUNT_COLUMNS.map(q).join(', ')} FROM ${qualified(
    dialect,
    spec.schema,
    SCD2_STATS_TABLE,
  )} WHERE ${q('table_name')} = ${dialect.literal(ledgerTableName(spec.schema, spec.table))} AND ${q(
    'logical_date',
  )} = ${dateLiteral(dialect, batch.logicalDate)} AND ${q('batch_id')} = ${dialect.literal(batch.batchId)}`;
}

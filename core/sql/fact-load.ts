import { type FactLoadSpecInput, type LoadBatch, parseFactLoadSpec, parseLoadBatch } from '../warehouse-spec';
import { type Dialect, qualified } from './dialect';
import { hashColumns } from './hashing';
import { dateLiteral, insertLedgerRowSql, ledgerGuard } from './ledger';

/**
 * Exactly-once load of one logical date's fact rows (architecture rule 8), in ONE transaction:
 * staging, dedupe (with `uniqueKey`: per key the row with the highest `latestBy`, ties broken by the
 * row's content hash so the choice is deterministic), delete-insert of the date's partition, ledger
 * row. Guarded by NOT EXISTS on the ledger row: replaying a committed batch is a no-op, while a new
 * batch of the same date replaces the partition.
 */
export interface FactLoadStatements {
  createStaging: string[];
  /** Fills staging from the batch's Parquet files (columns by position on Redshift). */
  loadStaging: string[];
  merge: string[];
}

export function factStagingTableName(table: string): string {
  return `_md_stg_${table}`;
}

export function factLoadStatements(
  specInput: FactLoadSpecInput,
  batchInput: LoadBatch,
  dialect: Dialect,
): FactLoadStatements {
  const spec = parseFactLoadSpec(specInput);
  const batch = parseLoadBatch(batchInput);
  const q = (name: string) => dialect.ident(name);
  const staging = q(factStagingTableName(spec.table));
  const target = qualified(dialect, spec.schema, spec.table);
  const guard = ledgerGuard(dialect, spec.schema, spec.table, batch);
  const partition = `${q(spec.partitionColumn)} = ${dateLiteral(dialect, batch.logicalDate)}`;
  const columnNames = spec.columns.map((column) => q(column.name));

  const deduplicated = spec.uniqueKey
    ? `SELECT ${columnNames.join(', ')} FROM (SELECT s.*, ROW_NUMBER() OVER (PARTITION BY ${spec.uniqueKey.columns
        .map((name) => `s.${q(name)}`)
        .join(', ')} ORDER BY s.${q(spec.uniqueKey.latestBy)} DESC NULLS LAST, ${hashColumns(
        dialect,
        spec.columns,
        (name) => `s.${q(name)}`,
      )} DESC) AS ${q('_md_rank')} FROM ${staging} s) ranked WHERE ${q('_md_rank')} = 1`
    : `SELECT ${columnNames.join(', ')} FROM ${staging}`;

  return {
    createStaging: [
      `CREATE TEMP TABLE ${staging} (${spec.columns
        .map((column) => `${q(column.name)} ${dialect.columnType(column.type)}`)
        .join(', ')})`,
    ],
    loadStaging: [dialect.loadStagingSql(staging, spec.columns, batch.sourceUri, guard, batch.manifestUri)],
    merge: [
      `DELETE FROM ${target} WHERE ${partition} AND ${guard}`,
      `INSERT INTO ${target} (${[...columnNames, q(spec.partitionColumn)].join(', ')}) SELECT ${columnNames
        .map((name) => `d.${name}`)
        .join(', ')}, ${dateLiteral(dialect, batch.logicalDate)} FROM (${deduplicated}) d WHERE ${guard}`,
      insertLedgerRowSql(
        dialect,
        spec.schema,
        spec.table,
        batch,
        `SELECT COUNT(*) AS ${q('n')} FROM ${target} WHERE ${partition}`,
      ),
      `DROP TABLE ${staging}`,
    ],
  };
}

/** All statements of the load, in order, for one transaction. */
export function factLoadSql(specInput: FactLoadSpecInput, batchInput: LoadBatch, dialect: Dialect): string[] {
  const { createStaging, loadStaging, merge } = factLoadStatements(specInput, batchInput, dialect);
  return [...createStaging, ...loadStaging, ...merge];
}

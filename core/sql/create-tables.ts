import {
  type DimensionSpec,
  type DimensionSpecInput,
  type FactLoadSpecInput,
  parseDimensionSpec,
  parseFactLoadSpec,
} from '../warehouse-spec';
import { type Dialect, type StagingColumn, qualified } from './dialect';
import {
  attributeColumns,
  businessKeyColumns,
  lateChangesTableName,
  stagingColumns,
  watermarkTableName,
} from './dimension-layout';
import { createLedgerSql } from './ledger';
import { createScd2StatsTableSql } from './scd2-stats';

function columnDefinitions(
  dialect: Dialect,
  columns: readonly StagingColumn[],
  notNull: readonly string[] = [],
) {
  return columns.map(
    (column) =>
      `${dialect.ident(column.name)} ${dialect.columnType(column.type)}${notNull.includes(column.name) ? ' NOT NULL' : ''}`,
  );
}

function createSchemaSql(dialect: Dialect, schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${dialect.ident(schema)}`;
}

/**
 * The dimension table, its watermark table, the schema's SCD2 statistics and load ledger tables, and
 * (policy 'quarantine') the late-changes table. Idempotent (IF NOT EXISTS); no DISTKEY/SORTKEY so the
 * same text runs on PostgreSQL in tests (Redshift's AUTO distribution and sort keys apply).
 */
export function createDimensionTablesSql(specInput: DimensionSpecInput, dialect: Dialect): string[] {
  const spec = parseDimensionSpec(specInput);
  const q = (name: string) => dialect.ident(name);
  const keyColumns = businessKeyColumns(spec);
  const dimension = [
    `${q('surrogate_key')} VARCHAR(32) NOT NULL`,
    ...columnDefinitions(dialect, keyColumns, spec.businessKey),
    ...columnDefinitions(dialect, attributeColumns(spec)),
    `${q('valid_from')} TIMESTAMP NOT NULL`,
    `${q('valid_to')} TIMESTAMP NOT NULL`,
    `${q('is_current')} BOOLEAN NOT NULL`,
    `${q('is_deleted')} BOOLEAN NOT NULL`,
    `${q('row_hash')} VARCHAR(32) NOT NULL`,
    `${q('batch_id')} VARCHAR(128) NOT NULL`,
    `${q('closed_batch_id')} VARCHAR(128)`,
    `PRIMARY KEY (${q('surrogate_key')})`,
  ];
  const watermarks = [
    ...columnDefinitions(dialect, keyColumns, spec.businessKey),
    `${q('last_change_at')} TIMESTAMP NOT NULL`,
    `${q('batch_id')} VARCHAR(128) NOT NULL`,
    `PRIMARY KEY (${spec.businessKey.map(q).join(', ')})`,
  ];
  return [
    createSchemaSql(dialect, spec.schema),
    `CREATE TABLE IF NOT EXISTS ${qualified(dialect, spec.schema, spec.table)} (${dimension.join(', ')})`,
    `CREATE TABLE IF NOT EXISTS ${qualified(dialect, spec.schema, watermarkTableName(spec))} (${watermarks.join(', ')})`,
    ...(spec.lateArriving === 'quarantine' ? [createLateChangesTableSql(spec, dialect)] : []),
    createScd2StatsTableSql(dialect, spec.schema),
    createLedgerSql(dialect, spec.schema),
  ];
}

function createLateChangesTableSql(spec: DimensionSpec, dialect: Dialect): string {
  const columns = [
    ...columnDefinitions(dialect, stagingColumns(spec)),
    `${dialect.ident('batch_id')} VARCHAR(128) NOT NULL`,
  ];
  return `CREATE TABLE IF NOT EXISTS ${qualified(dialect, spec.schema, lateChangesTableName(spec))} (${columns.join(', ')})`;
}

/** The fact table (its columns plus the DATE partition column) and the schema's load ledger. */
export function createFactTablesSql(specInput: FactLoadSpecInput, dialect: Dialect): string[] {
  const spec = parseFactLoadSpec(specInput);
  const columns = [
    ...columnDefinitions(dialect, spec.columns),
    `${dialect.ident(spec.partitionColumn)} DATE NOT NULL`,
  ];
  return [
    createSchemaSql(dialect, spec.schema),
    `CREATE TABLE IF NOT EXISTS ${qualified(dialect, spec.schema, spec.table)} (${columns.join(', ')})`,
    createLedgerSql(dialect, spec.schema),
  ];
}

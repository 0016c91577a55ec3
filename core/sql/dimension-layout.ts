import type { Column, DimensionSpec } from '../warehouse-spec';
import type { StagingColumn } from './dialect';

/**
 * Names and column lists derived from a DimensionSpec, shared by the DDL and the merge.
 *
 * The dimension table holds, in order: surrogate_key (md5 of business key + valid_from: deterministic,
 * so a rerun produces byte-identical rows), the business key, the attribute columns, valid_from,
 * valid_to (the far-future sentinel OPEN_VALID_TO while a version is current: half-open intervals
 * [valid_from, valid_to) then compare without NULL handling), is_current, is_deleted, row_hash (of the
 * tracked columns), batch_id (the batch that opened the version) and closed_batch_id (the batch that
 * ended it; NULL while current).
 */
export const OPEN_VALID_TO = '9999-12-31 00:00:00';

/** Per-key watermark: the business time of the newest change applied to each key (see scd2-merge.ts). */
export function watermarkTableName(spec: DimensionSpec): string {
  return `${spec.table}_watermarks`;
}

/** Late changes kept by the 'quarantine' policy. */
export function lateChangesTableName(spec: DimensionSpec): string {
  return `${spec.table}_late_changes`;
}

/** Per-batch statistics of every SCD2 merge in a schema (see scd2-stats.ts). */
export const SCD2_STATS_TABLE = 'medallion_scd2_stats';

/**
 * Temp tables of one merge; a session holds at most one merge of a dimension at a time. Each member
 * date of the merge has a staging table of its own (COPY cannot tag rows with the file they came from).
 */
export function tempTableNames(spec: DimensionSpec) {
  return {
    staging: (member: number) => `_md_stg${member}_${spec.table}`,
    members: `_md_mem_${spec.table}`,
    changes: `_md_chg_${spec.table}`,
    events: `_md_evt_${spec.table}`,
    versions: `_md_ver_${spec.table}`,
  };
}

export function businessKeyColumns(spec: DimensionSpec): Column[] {
  return spec.businessKey.map((name) => spec.columns.find((column) => column.name === name)!);
}

export function attributeColumns(spec: DimensionSpec): Column[] {
  return spec.columns.filter((column) => !spec.businessKey.includes(column.name));
}

export function trackedColumns(spec: DimensionSpec): Column[] {
  return attributeColumns(spec).filter((column) => spec.tracked.includes(column.name));
}

export function typeOneColumns(spec: DimensionSpec): Column[] {
  return attributeColumns(spec).filter((column) => !spec.tracked.includes(column.name));
}

/**
 * The staging table's columns, in order: the spec's columns, then orderBy when it is not one of them,
 * then the operation and sequence columns. Redshift COPY maps Parquet columns by position, so the
 * change files must hold exactly these columns in this order (DuckDB reads them by name).
 */
export function stagingColumns(spec: DimensionSpec): StagingColumn[] {
  const orderByListed = spec.columns.some((column) => column.name === spec.orderBy);
  return [
    ...spec.columns,
    ...(orderByListed ? [] : [{ name: spec.orderBy, type: 'timestamp' as const }]),
    { name: spec.operationColumn, type: 'varchar(16)' },
    { name: spec.sequenceColumn, type: spec.sequenceColumnType },
  ];
}

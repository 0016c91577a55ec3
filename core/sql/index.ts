export { type Dialect, type StagingColumn } from './dialect';
export { redshiftDialect, type RedshiftDialectOptions } from './redshift';
export { duckdbDialect } from './duckdb';
export { createTablesSql, createDimensionTablesSql, createFactTablesSql } from './create-tables';
export {
  scd2MergeSql,
  scd2MergeStatements,
  type Scd2MergeBatch,
  type Scd2MergeStatements,
} from './scd2-merge';
export { scd2BatchCountsSql, SCD2_STATS_COUNT_COLUMNS, type Scd2BatchCounts } from './scd2-stats';
export { factLoadSql, factLoadStatements, type FactLoadStatements } from './fact-load';
export {
  OPEN_VALID_TO,
  SCD2_STATS_TABLE,
  stagingColumns,
  lateChangesTableName,
  watermarkTableName,
  tempTableNames,
} from './dimension-layout';
export { LEDGER_TABLE, ledgerLookupAllSql, ledgerLookupSql } from './ledger';

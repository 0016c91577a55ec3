export { type Dialect, type StagingColumn } from './dialect';
export { redshiftDialect } from './redshift';
export { duckdbDialect } from './duckdb';
export { createDimensionTablesSql, createFactTablesSql } from './create-tables';
export { scd2MergeSql, scd2MergeStatements } from './scd2-merge';
export { scd2BatchCountsSql, SCD2_STATS_COUNT_COLUMNS } from './scd2-stats';
export { factLoadSql, factLoadStatements } from './fact-load';
export { stagingColumns, tempTableNames } from './dimension-layout';
export { ledgerLookupAllSql, ledgerLookupSql } from './ledger';

import { type DimensionSpecInput, type BatchIdentity, parseDimensionSpec } from '../../core/warehouse-spec';
import { scd2MergeSql, scd2MergeStatements, stagingColumns, tempTableNames } from '../../core/sql';
import { type Row, type Statement, type WarehouseEngine, insertRowsStatements } from './engines';

/** The URI tests pass when staging is filled by INSERTs (the load statement is then left out). */
export const UNUSED_SOURCE_URI = 's3://medallion-test-lake/silver/unused/';
/** Redshift COPYs from a manifest; the executed tests replace the COPY with INSERTs. */
export const UNUSED_MANIFEST_URI = 's3://medallion-test-lake/_medallion/copy-manifests/unused.manifest';

export type Staging = 'parquet' | 'insert';

/** The statements of one SCD2 batch with staging filled either from a real Parquet file or by INSERTs. */
export async function scd2BatchStatements(
  engine: WarehouseEngine,
  specInput: DimensionSpecInput,
  batch: BatchIdentity,
  rows: readonly Row[],
  staging: Staging = engine.readsParquet ? 'parquet' : 'insert',
): Promise<Statement[]> {
  const spec = parseDimensionSpec(specInput);
  if (staging === 'parquet') {
    const sourceUri = await engine.writeParquet(stagingColumns(spec), rows);
    return scd2MergeSql(spec, { ...batch, sourceUri }, engine.dialect);
  }
  const statements = scd2MergeStatements(
    spec,
    { ...batch, sourceUri: UNUSED_SOURCE_URI, manifestUri: UNUSED_MANIFEST_URI },
    engine.dialect,
  );
  return [
    ...statements.createStaging,
    ...insertRowsStatements(engine.dialect, tempTableNames(spec).staging, stagingColumns(spec), rows),
    ...statements.merge,
  ];
}

export async function applyScd2Batch(
  engine: WarehouseEngine,
  spec: DimensionSpecInput,
  batch: BatchIdentity,
  rows: readonly Row[],
  staging?: Staging,
): Promise<void> {
  await engine.transaction(await scd2BatchStatements(engine, spec, batch, rows, staging));
}

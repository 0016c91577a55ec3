import {
  type DimensionSpecInput,
  type BatchIdentity,
  parseDimensionSpec,
} from '../../../core/warehouse-spec';
import { scd2MergeSql, scd2MergeStatements, stagingColumns, tempTableNames } from '../../../core/sql';
import { type Row, type Statement, type WarehouseEngine, insertRowsStatements } from './engines';

/** The URI tests pass when staging is filled by INSERTs (the load statement is then left out). */
export const UNUSED_SOURCE_URI = 's3://medallion-test-lake/silver/unused/';
/** Redshift COPYs from a manifest; the executed tests replace the COPY with INSERTs. */
export const UNUSED_MANIFEST_URI = 's3://medallion-test-lake/_medallion/copy-manifests/unused.manifest';

export type Staging = 'parquet' | 'insert';

/** One member date of a merge: its batch identity and its staged rows. */
export interface StagedMember {
  batch: BatchIdentity;
  rows: readonly Row[];
}

/**
 * The statements of one SCD2 merge of one or more member dates, with each member's staging filled
 * either from a real Parquet file or by INSERTs.
 */
export async function scd2MergeBatchStatements(
  engine: WarehouseEngine,
  specInput: DimensionSpecInput,
  members: readonly StagedMember[],
  staging: Staging = engine.readsParquet ? 'parquet' : 'insert',
): Promise<Statement[]> {
  const spec = parseDimensionSpec(specInput);
  if (staging === 'parquet') {
    const batches = [];
    for (const member of members) {
      const sourceUri = await engine.writeParquet(stagingColumns(spec), member.rows);
      batches.push({ ...member.batch, sourceUri });
    }
    return scd2MergeSql(spec, batches, engine.dialect);
  }
  const statements = scd2MergeStatements(
    spec,
    members.map((member) => ({
      ...member.batch,
      sourceUri: UNUSED_SOURCE_URI,
      manifestUri: UNUSED_MANIFEST_URI,
    })),
    engine.dialect,
  );
  return [
    ...statements.createStaging,
    ...members.flatMap((member, index) =>
      insertRowsStatements(
        engine.dialect,
        tempTableNames(spec).staging(index + 1),
        stagingColumns(spec),
        member.rows,
      ),
    ),
    ...statements.merge,
  ];
}

/** The statements of one SCD2 batch (one date) with staging filled from a real Parquet file or by INSERTs. */
export function scd2BatchStatements(
  engine: WarehouseEngine,
  specInput: DimensionSpecInput,
  batch: BatchIdentity,
  rows: readonly Row[],
  staging?: Staging,
): Promise<Statement[]> {
  return scd2MergeBatchStatements(engine, specInput, [{ batch, rows }], staging);
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

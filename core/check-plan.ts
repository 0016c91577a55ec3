/**
 * Turns a stage's declared checks into what its activity needs (core/stage-io.ts LakeCheckPlan,
 * WarehouseCheckPlan) and its job measures (manifest `checks`).
 */
import { addDays } from './dates';
import { durationMs } from './durations';
import { type Environment, warehouseTarget } from './environment';
import { CHECKED_OUTPUT_VIEW, type JobCheck } from './job-manifest';
import { lakeLayout } from './lake-layout';
import type { PipelineSpec, StageSpec } from './pipeline-spec';
import type { QualityCheck } from './quality-checks';
import { checkMeasureSql, freshSinceUtc } from './sql/check-queries';
import { createCheckResultsSql, trailingMeasurementsSql } from './sql/check-results';
import { qualified } from './sql/dialect';
import { factStagingTableName } from './sql/fact-load';
import { stagingColumns, tempTableNames } from './sql';
import type { CheckRecording, LakeCheckPlan, WarehouseCheckPlan } from './stage-io';
import { warehouseDialect } from './sql/warehouse-dialect';

/** The batch a warehouse stage loads (core/plan.ts WarehouseBatch), as its checks need it. */
export interface CheckedBatch {
  logicalDate: string;
  sourceUri: string;
  manifestUri?: string;
  dialect: 'redshift' | 'duckdb';
  copyRoleArn: string;
}

/** The check SELECTs a job runs over its output (manifest `checks`). */
export function jobChecks(checks: readonly QualityCheck[], dayEndUtc: string): JobCheck[] {
  const found: JobCheck[] = [];
  for (const check of checks) {
    const sql = checkMeasureSql(check, {
      table: CHECKED_OUTPUT_VIEW,
      ident: (name) => name,
      referencedTable: (name) => name,
      freshSince: (c) => freshSinceUtc(dayEndUtc, durationMs(c.within)),
      countsRows: false,
    });
    if (sql) found.push({ name: check.name, sql });
  }
  return found;
}

export function lakeCheckPlan(
  checks: readonly QualityCheck[],
  bucket: string,
  pipeline: string,
  stageId: string,
  logicalDate: string,
): LakeCheckPlan {
  const days = Math.max(0, ...checks.map((c) => (c.kind === 'rowCount' ? (c.trailing?.days ?? 0) : 0)));
  return {
    declared: [...checks],
    trailingMetricsUris: Array.from({ length: days }, (_, i) =>
      lakeLayout.metrics(bucket, pipeline, addDays(logicalDate, -(i + 1)), stageId),
    ),
  };
}

/** The schema that holds a pipeline's check results: that of its first warehouse stage's table. */
export function checkResultsSchema(spec: PipelineSpec): string | undefined {
  for (const stage of spec.stages) {
    if (stage.kind === 'scd2') return stage.dimension.schema;
    if (stage.kind === 'load') return stage.fact.schema;
  }
  return undefined;
}

/** Where the run records its check outcomes; undefined when no stage declares a check. */
export function checkRecordingOf(spec: PipelineSpec, env: Environment): CheckRecording | undefined {
  const schema = checkResultsSchema(spec);
  if (!schema || !spec.stages.some((stage) => stage.checks.length > 0)) return undefined;
  return {
    target: warehouseTarget(env.warehouse),
    dialect: env.warehouse.dialect,
    copyRoleArn: env.warehouse.copyRoleArn,
    schema,
  };
}

export function warehouseCheckPlan(
  stage: Extract<StageSpec, { kind: 'scd2' | 'load' }>,
  batch: CheckedBatch,
  spec: PipelineSpec,
  dayEndUtc: string,
): WarehouseCheckPlan {
  const dialect = warehouseDialect(batch);
  const q = (name: string) => dialect.ident(name);
  const columns = stage.kind === 'scd2' ? stagingColumns(stage.dimension) : stage.fact.columns;
  const staging = q(
    stage.kind === 'scd2'
      ? tempTableNames(stage.dimension).staging(0)
      : factStagingTableName(stage.fact.table),
  );
  const trailing = stage.checks.find((c) => c.kind === 'rowCount' && c.trailing);
  const schema = checkResultsSchema(spec);
  const withHistory =
    trailing?.kind === 'rowCount' && trailing.trailing !== undefined && schema !== undefined;
  // Staged as the load stages it, but unguarded by the ledger: a batch that already committed is still
  // measured (the checks of a rerun attempt describe the data, not what is left to load).
  const probe = [
    ...(withHistory ? createCheckResultsSql(dialect, schema) : []),
    `CREATE TEMP TABLE ${staging} (${columns.map((c) => `${q(c.name)} ${dialect.columnType(c.type)}`).join(', ')})`,
    dialect.loadStagingSql(staging, columns, batch.sourceUri, 'TRUE', batch.manifestUri),
    `SELECT COUNT(*) AS ${q('measured')} FROM ${staging}`,
  ];
  const rowCountStatement = probe.length;
  const measures: Record<string, number> = {};
  for (const check of stage.checks) {
    const sql = checkMeasureSql(check, {
      table: staging,
      ident: q,
      referencedTable: (name) => {
        const [tableSchema, table] = name.split('.') as [string, string];
        return qualified(dialect, tableSchema, table);
      },
      freshSince: (c) => freshSinceUtc(dayEndUtc, durationMs(c.within)),
      countsRows: false,
    });
    if (sql) {
      probe.push(sql);
      measures[check.name] = probe.length;
    }
  }
  const plan: WarehouseCheckPlan = { declared: [...stage.checks], probe, measures, rowCountStatement };
  if (withHistory && trailing.kind === 'rowCount' && trailing.trailing) {
    probe.push(
      trailingMeasurementsSql(
        dialect,
        schema,
        { pipeline: spec.name, stageId: stage.id, check: trailing.name },
        addDays(batch.logicalDate, -trailing.trailing.days),
        batch.logicalDate,
      ),
    );
    plan.trailingStatement = probe.length;
  }
  return plan;
}

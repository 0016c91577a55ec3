/**
 * Rule 3: plan once, execute the plan. An activity resolves (pipeline spec, environment, logical
 * date, generation) into concrete stage inputs; the workflow only walks the DAG. Editing a spec
 * therefore never changes what a running history replays.
 */
import { checkRecordingOf, jobChecks, lakeCheckPlan, warehouseCheckPlan } from './check-plan';
import { dayWindowUtc } from './dates';
import { durationMs } from './durations';
import { type Environment, warehouseTarget } from './environment';
import { type JobManifest, EMR_MANIFEST_FLAG, GLUE_MANIFEST_ARGUMENT } from './job-manifest';
import { lakeLayout } from './lake-layout';
import { stagingColumns } from './sql/dimension-layout';
import type { JobDefinition, PipelineSpec, StageKind, StageSpec } from './pipeline-spec';
import { stageRunKey } from './run-key';
import { settingsFor, type StageSettings } from './stage-defaults';
import type {
  CheckRecording,
  CopySource,
  PollSettings,
  StageInput,
  StageResult,
  StageRunIdentity,
} from './stage-io';
import type { DimensionSpec, FactLoadSpec } from './warehouse-spec';

/** Generates the warehouse statements of one batch; one transaction per stage. */
export interface WarehouseSql {
  /** The merge of one date, or of several consecutive dates in date order (a catch-up merge). */
  scd2Statements(dimension: DimensionSpec, batch: WarehouseBatch | readonly WarehouseBatch[]): string[];
  factLoadStatements(fact: FactLoadSpec, batch: WarehouseBatch): string[];
  /** One SELECT of the batch's load-ledger row (see RedshiftStageInput.ledgerLookup). */
  ledgerLookup(table: { schema: string; table: string }, batch: WarehouseBatch): string;
  /** One SELECT that finds a row only when every batch has its ledger row (a catch-up merge). */
  ledgerLookupAll(table: { schema: string; table: string }, batches: readonly WarehouseBatch[]): string;
}

export interface WarehouseBatch {
  logicalDate: string;
  batchId: string;
  /** s3:// prefix of the parquet files to load. */
  sourceUri: string;
  /** Redshift: the COPY manifest listing the part files under sourceUri (the load activity writes it). */
  manifestUri?: string;
  dialect: 'redshift' | 'duckdb';
  copyRoleArn: string;
}

type StageActivityName =
  'runDmsStage' | 'runAppFlowStage' | 'runGlueStage' | 'runEmrServerlessStage' | 'runRedshiftStage';

const activityForKind: Record<StageKind, StageActivityName> = {
  dms: 'runDmsStage',
  appflow: 'runAppFlowStage',
  glue: 'runGlueStage',
  'emr-serverless': 'runEmrServerlessStage',
  scd2: 'runRedshiftStage',
  load: 'runRedshiftStage',
};

export interface PlannedStageOptions {
  /** New AWS runs (new run keys) the workflow starts after the stage's job ended FAILED. */
  jobRetries: number;
  startToCloseTimeoutMs: number;
  heartbeatTimeoutMs: number;
  retry: {
    maximumAttempts: number;
    initialIntervalMs: number;
    backoffCoefficient: number;
    maximumIntervalMs: number;
  };
}

export interface PlannedStage {
  id: string;
  kind: StageKind;
  dependsOn: string[];
  /** One line for people: shows as the activity summary in the Temporal UI. */
  summary: string;
  activity: StageActivityName;
  input: StageInput;
  options: PlannedStageOptions;
  /** Set when an earlier generation of this date already finished the stage (rerun skips it). */
  doneEarlier?: StageResult;
  /** Set when the run was asked for a subset of stages and this one is not in it. */
  notSelected?: boolean;
}

export interface Plan {
  pipeline: string;
  logicalDate: string;
  timeZone: string;
  workflowId: string;
  generation: number;
  windowStartUtc: string;
  windowEndUtc: string;
  maxConcurrentStages: number;
  stages: PlannedStage[];
  /** Set when a stage declares checks: where the run records their outcomes. */
  checkRecording?: CheckRecording;
}

export interface PlanRequest {
  spec: PipelineSpec;
  env: Environment;
  sql: WarehouseSql;
  logicalDate: string;
  workflowId: string;
  generation: number;
  /** Run only these stages, even if done before (their dependencies count as satisfied). Empty = all. */
  only?: string[];
  /** Stages finished by an earlier generation of this date: they are skipped. */
  done?: Record<string, StageResult>;
  /** When this generation was first planned: bounds every stage's look-up of runs by run key. */
  plannedAt?: string;
}

export function buildPlan(request: PlanRequest): Plan {
  const { spec, logicalDate, workflowId, generation } = request;
  const unknown = (request.only ?? []).filter((id) => !spec.stages.some((s) => s.id === id));
  if (unknown.length > 0) {
    throw new Error(
      `stages: unknown stage(s) ${unknown.join(', ')}; pipeline ${spec.name} has ${spec.stages.map((s) => s.id).join(', ')}`,
    );
  }
  const window = dayWindowUtc(logicalDate, spec.timeZone);
  const selected = new Set(request.only?.length ? request.only : spec.stages.map((s) => s.id));
  const stages = spec.stages.map((stage): PlannedStage => {
    const settings = settingsFor(stage, request.env.poll);
    const identity: StageRunIdentity = {
      workflowId,
      pipeline: spec.name,
      logicalDate,
      stageId: stage.id,
      generation,
      runKey: stageRunKey(workflowId, stage.id, generation),
      ...(request.plannedAt ? { plannedAt: request.plannedAt } : {}),
    };
    const planned: PlannedStage = {
      id: stage.id,
      kind: stage.kind,
      dependsOn: stage.dependsOn.filter((dep) => selected.has(dep)),
      summary: summarize(stage),
      activity: activityForKind[stage.kind],
      input: stageInput(stage, identity, pollSettings(settings), request, window),
      options: activityOptions(settings),
    };
    // Stages asked for by name run even when done before; otherwise a rerun skips finished stages.
    const earlier = request.only?.length ? undefined : request.done?.[stage.id];
    if (earlier) planned.doneEarlier = earlier;
    if (!selected.has(stage.id)) planned.notSelected = true;
    return planned;
  });
  const checkRecording = checkRecordingOf(spec, request.env);
  return {
    ...(checkRecording ? { checkRecording } : {}),
    pipeline: spec.name,
    logicalDate,
    timeZone: spec.timeZone,
    workflowId,
    generation,
    windowStartUtc: window.startUtc.toISOString(),
    windowEndUtc: window.endUtc.toISOString(),
    maxConcurrentStages: spec.maxConcurrentStages,
    stages,
  };
}

export function pollSettings(settings: StageSettings): PollSettings {
  return {
    initialIntervalMs: durationMs(settings.poll.initialInterval),
    maxIntervalMs: durationMs(settings.poll.maxInterval),
    backoffCoefficient: settings.poll.backoffCoefficient,
  };
}

function activityOptions(settings: StageSettings): PlannedStageOptions {
  return {
    jobRetries: settings.retry.jobRetries,
    startToCloseTimeoutMs: durationMs(settings.timeouts.startToClose),
    heartbeatTimeoutMs: durationMs(settings.timeouts.heartbeat),
    retry: {
      maximumAttempts: settings.retry.maximumAttempts,
      initialIntervalMs: durationMs(settings.retry.initialInterval),
      backoffCoefficient: settings.retry.backoffCoefficient,
      maximumIntervalMs: durationMs(settings.retry.maximumInterval),
    },
  };
}

function summarize(stage: StageSpec): string {
  switch (stage.kind) {
    case 'dms':
      return `DMS CDC ${stage.schema}.{${stage.tables.join(',')}} -> bronze`;
    case 'appflow':
      return `AppFlow ${stage.object} -> bronze`;
    case 'glue':
    case 'emr-serverless':
      return `${stage.kind === 'glue' ? 'Glue' : 'EMR Serverless'} ${stage.id} -> ${stage.job.output.layer}.${stage.job.output.table}`;
    case 'scd2':
      return `SCD2 merge silver.${stage.sourceTable} -> ${stage.dimension.schema}.${stage.dimension.table}`;
    case 'load':
      return `Load gold.${stage.sourceTable} -> ${stage.fact.schema}.${stage.fact.table}`;
  }
}

function stageInput(
  stage: StageSpec,
  identity: StageRunIdentity,
  poll: PollSettings,
  request: PlanRequest,
  window: { startUtc: Date; endUtc: Date },
): StageInput {
  const { env, logicalDate, spec } = request;
  const bucket = env.lakeBucket;
  switch (stage.kind) {
    case 'dms':
      return {
        kind: 'dms',
        identity,
        poll,
        replicationTaskArn: lookup(env.dms.tasks, stage.task, `dms.tasks.${stage.task}`),
        windowStartUtc: window.startUtc.toISOString(),
        windowEndUtc: window.endUtc.toISOString(),
        checkpointPrefix: lakeLayout.dmsCheckpoints(bucket, stage.task),
        tables: stage.tables,
        outputPrefix: lakeLayout.cdcRoot(bucket),
      };
    case 'appflow':
      return {
        kind: 'appflow',
        identity,
        poll,
        flowName: lookup(env.appflow.flows, stage.flow, `appflow.flows.${stage.flow}`),
        outputPrefix: lakeLayout.saasSnapshot(bucket, stage.object, logicalDate),
      };
    case 'glue': {
      const manifest = jobManifest(stage.job, stage.id, request);
      return {
        kind: 'glue',
        identity,
        poll,
        jobName: env.glue.sqlRunnerJob,
        arguments: { [GLUE_MANIFEST_ARGUMENT]: JSON.stringify(manifest) },
        ...(stage.crawler
          ? { crawlerName: lookup(env.glue.crawlers, stage.crawler, `glue.crawlers.${stage.crawler}`) }
          : {}),
        metrics: { metricsUri: manifest.metricsUri },
        ...lakeChecksOf(stage, request),
      };
    }
    case 'emr-serverless': {
      const manifest = jobManifest(stage.job, stage.id, request);
      return {
        kind: 'emr-serverless',
        identity,
        poll,
        applicationId: env.emrServerless.applicationId,
        executionRoleArn: env.emrServerless.executionRoleArn,
        jobName: `${spec.name}-${stage.id}-${logicalDate}`,
        entryPoint: env.emrServerless.entryPoint,
        entryPointArguments: [EMR_MANIFEST_FLAG, JSON.stringify(manifest)],
        ...(env.emrServerless.sparkSubmitParameters
          ? { sparkSubmitParameters: env.emrServerless.sparkSubmitParameters }
          : {}),
        metrics: { metricsUri: manifest.metricsUri },
        ...lakeChecksOf(stage, request),
      };
    }
    case 'scd2':
    case 'load': {
      const { batch, copy } = warehouseBatchOf(stage, env, spec.name, logicalDate, identity.runKey);
      return {
        kind: 'redshift',
        identity,
        poll,
        target: warehouseTarget(env.warehouse),
        sqls:
          stage.kind === 'scd2'
            ? request.sql.scd2Statements(stage.dimension, batch)
            : request.sql.factLoadStatements(stage.fact, batch),
        ledgerLookup: request.sql.ledgerLookup(stage.kind === 'scd2' ? stage.dimension : stage.fact, batch),
        ...(copy ? { copies: [copy] } : {}),
        ...(stage.checks.length > 0
          ? { checks: warehouseCheckPlan(stage, batch, spec, window.endUtc.toISOString()) }
          : {}),
      };
    }
  }
}

export type WarehouseStageSpec = Extract<StageSpec, { kind: 'scd2' | 'load' }>;

/**
 * The batch one date of an scd2 or load stage loads (batch id: the stage's run key for that date) and,
 * on Redshift, the COPY source its manifest is written for.
 */
export function warehouseBatchOf(
  stage: WarehouseStageSpec,
  env: Environment,
  pipeline: string,
  logicalDate: string,
  batchId: string,
): { batch: WarehouseBatch; copy?: CopySource } {
  const bucket = env.lakeBucket;
  const sourceUri =
    stage.kind === 'scd2'
      ? lakeLayout.silver(bucket, stage.sourceTable, logicalDate)
      : lakeLayout.gold(bucket, stage.sourceTable, logicalDate);
  const manifestUri = lakeLayout.copyManifest(bucket, pipeline, logicalDate, stage.id, batchId);
  const copies = env.warehouse.dialect === 'redshift';
  const batch: WarehouseBatch = {
    logicalDate,
    batchId,
    sourceUri,
    ...(copies ? { manifestUri } : {}),
    dialect: env.warehouse.dialect,
    copyRoleArn: env.warehouse.copyRoleArn,
  };
  if (!copies) return { batch };
  const columns = stage.kind === 'scd2' ? stagingColumns(stage.dimension) : stage.fact.columns;
  return {
    batch,
    copy: { sourceUri, manifestUri, columns: columns.map(({ name, type }) => ({ name, type })) },
  };
}

function lakeChecksOf(stage: StageSpec, request: PlanRequest) {
  if (stage.checks.length === 0) return {};
  const { env, logicalDate, spec } = request;
  return { checks: lakeCheckPlan(stage.checks, env.lakeBucket, spec.name, stage.id, logicalDate) };
}

function jobManifest(job: JobDefinition, stageId: string, request: PlanRequest): JobManifest {
  const { env, logicalDate, spec } = request;
  const bucket = env.lakeBucket;
  const checks = jobChecks(
    spec.stages.find((s) => s.id === stageId)?.checks ?? [],
    dayWindowUtc(logicalDate, spec.timeZone).endUtc.toISOString(),
  );
  return {
    pipeline: spec.name,
    stageId,
    logicalDate,
    inputs: job.inputs.map((input) => ({
      name: input.name,
      uri: inputUri(input.source, bucket, logicalDate),
      ...(input.optional ? { optional: true } : {}),
      ...(input.columns ? { columns: input.columns } : {}),
    })),
    sql: bindPlanPlaceholders(job.sql, logicalDate, spec.timeZone),
    ...(job.quarantineWhen ? { quarantineWhen: job.quarantineWhen } : {}),
    outputUri:
      job.output.layer === 'silver'
        ? lakeLayout.silver(bucket, job.output.table, logicalDate)
        : lakeLayout.gold(bucket, job.output.table, logicalDate),
    quarantineUri: lakeLayout.quarantine(bucket, stageId, logicalDate),
    metricsUri: lakeLayout.metrics(bucket, spec.name, logicalDate, stageId),
    ...(checks.length > 0 ? { checks } : {}),
  };
}

/** The placeholders the plan binds; `${logical_date}` is left to the runner (core/job-manifest.ts). */
function bindPlanPlaceholders(sql: string, logicalDate: string, timeZone: string): string {
  const { startUtc, endUtc } = dayWindowUtc(logicalDate, timeZone);
  const sqlTimestamp = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
  return sql
    .replaceAll('${time_zone}', timeZone)
    .replaceAll('${day_start_utc}', sqlTimestamp(startUtc))
    .replaceAll('${day_end_utc}', sqlTimestamp(endUtc));
}

function inputUri(
  source: JobDefinition['inputs'][number]['source'],
  bucket: string,
  logicalDate: string,
): string {
  switch (source.layer) {
    case 'bronze-cdc':
      return lakeLayout.cdcTable(bucket, source.schema, source.table, logicalDate);
    case 'bronze-saas':
      return lakeLayout.saasSnapshot(bucket, source.object, logicalDate);
    case 'silver':
      return source.allDates
        ? lakeLayout.silverAll(bucket, source.table)
        : lakeLayout.silver(bucket, source.table, logicalDate);
    case 'gold':
      return lakeLayout.gold(bucket, source.table, logicalDate);
  }
}

function lookup(map: Record<string, string>, key: string, path: string): string {
  const value = map[key];
  if (!value) throw new Error(`environment ${path} is not set; add it to the environment config`);
  return value;
}

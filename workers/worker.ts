/**
 * One worker process: every medallion workflow and activity on one task queue. Pipelines and config
 * are validated before it polls, and the search attributes the workflows set are registered.
 */
import { existsSync } from 'node:fs';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { Connection } from '@temporalio/client';
import { createActivities } from '../activities';
import { S3AlertLog } from '../activities/alert-log';
import { type AlertActivities, createAlertActivities } from '../activities/alerts';
import { recordingStageDone, type StageActivities } from '../activities/stage-done-markers';
import { createBackfillActivities } from '../activities/backfill';
import { createPlanActivities } from '../activities/plan-daily-run';
import { createDimensionMergeActivities } from '../activities/plan-dimension-merge';
import { type RunState, RunStateStore } from '../activities/run-state';
import type { Environment } from '../core/environment';
import type { PipelineSpec } from '../core/pipeline-spec';
import { warehouseSql } from '../core/warehouse-statements';
import { loadPipelines } from '../pipelines/registry';
import { buildAwsClients } from './aws-clients';
import type { WorkerConfig } from './config';
import { logger } from './logger';
import { ensureSearchAttributes } from './search-attributes';
import { connectionOptions } from './temporal-connection';
import { WORKFLOWS_PATH } from './workflow-bundle';
import { countingAwsCalls, measuringStages, type WorkerMetrics } from './metrics';

export { WORKFLOWS_PATH };

/**
 * Where the worker's workflow code comes from: the bundle the image built (MEDALLION_WORKFLOW_BUNDLE,
 * loaded with `workflowBundle`), or, in a checkout, the sources bundled at start.
 */
function workflowCode(
  env: NodeJS.ProcessEnv = process.env,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const file = env.MEDALLION_WORKFLOW_BUNDLE;
  if (!file) return { workflowsPath: WORKFLOWS_PATH };
  if (!existsSync(file)) {
    throw new Error(
      `MEDALLION_WORKFLOW_BUNDLE names ${file}, which does not exist: build it with ` +
        `\`tsx workers/build-workflow-bundle.ts ${file}\`, or unset MEDALLION_WORKFLOW_BUNDLE to bundle at start`,
    );
  }
  return { workflowBundle: { codePath: file } };
}

/**
 * Heartbeats reach the server at most this far apart (the SDK's default is 80% of the heartbeat
 * timeout, 16 s of the stages' 20 s: a 4 s stall of a busy worker would time a healthy stage out).
 * Every few seconds leaves most of the timeout as margin; core/stage-defaults.ts says why it is short.
 */
export const WORKER_HEARTBEAT_THROTTLE = '5s';

/** The worker's activities; with `metrics`, each stage attempt and AWS call is measured. */
export function buildActivities(
  config: WorkerConfig,
  pipelines: Record<string, PipelineSpec>,
  metrics?: WorkerMetrics,
) {
  const built = buildAwsClients(config.environment);
  const clients = metrics ? countingAwsCalls(built, metrics) : built;
  const runState = new RunStateStore(clients.s3, config.environment.lakeBucket);
  const stages = createActivities(clients);
  const { environment } = config;
  const alerts = createAlertActivities({
    sns: clients.sns,
    log: new S3AlertLog(clients.s3, environment.lakeBucket),
    ...(environment.alerts
      ? {
          settings: {
            topicArn: environment.alerts.topicArn,
            environment: environment.name,
            ...(environment.alerts.temporalUiUrl ? { temporalUiUrl: environment.alerts.temporalUiUrl } : {}),
          },
        }
      : {}),
  });
  return assembleActivities(
    metrics ? measuringStages(stages, metrics) : stages,
    runState,
    environment,
    pipelines,
    alerts,
  );
}

/** Everything the worker registers around the stage activities: planning, done markers, backfill. */
export function assembleActivities<S extends StageActivities>(
  stages: S,
  runState: RunState,
  environment: Environment,
  pipelines: Record<string, PipelineSpec>,
  alerts: AlertActivities,
) {
  const planning = createPlanActivities({ env: environment, pipelines, sql: warehouseSql, runState });
  return {
    ...recordingStageDone(stages, (request) => planning.recordStageDone(request)),
    ...planning,
    ...createBackfillActivities({ pipelines, runState }),
    ...createDimensionMergeActivities({ env: environment, pipelines, sql: warehouseSql }),
    ...alerts,
  };
}

export interface StartedWorker {
  worker: Worker;
  connection: NativeConnection;
}

export async function createMedallionWorker(
  config: WorkerConfig,
  overrides: Partial<WorkerOptions> = {},
  metrics?: WorkerMetrics,
): Promise<StartedWorker> {
  const pipelines = loadPipelines();
  const options = connectionOptions(config);
  const client = await Connection.connect(options);
  try {
    await ensureSearchAttributes(client, config.temporal.namespace);
  } finally {
    await client.close();
  }
  const connection = await NativeConnection.connect(options);
  if (!config.environment.alerts) {
    logger.warn('alerts are off: set environment.alerts.topicArn (an SNS topic) to be told of failed runs');
  }
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...workflowCode(),
    activities: buildActivities(config, pipelines, metrics),
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivityTaskExecutions,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTaskExecutions,
    maxHeartbeatThrottleInterval: WORKER_HEARTBEAT_THROTTLE,
    ...overrides,
  });
  return { worker, connection };
}

import type { Plan, PlannedStage } from '../../core/plan';
import { stageRunKey } from '../../core/run-key';

export interface StageFixture {
  id: string;
  dependsOn?: string[];
  startToCloseMs?: number;
  heartbeatMs?: number;
  maximumAttempts?: number;
  retryInitialMs?: number;
  /** New AWS runs after a job failure (default 2, as planned from a spec without `retry.jobRetries`). */
  jobRetries?: number;
}

/** A plan of Glue stages with the given DAG, for workflow tests with mocked activities. */
export function glueOnlyPlan(
  stages: StageFixture[],
  opts: { logicalDate?: string; maxConcurrent?: number } = {},
): Plan {
  const logicalDate = opts.logicalDate ?? '2026-01-15';
  const workflowId = `test/${logicalDate}`;
  return {
    pipeline: 'test',
    logicalDate,
    timeZone: 'UTC',
    workflowId,
    generation: 0,
    windowStartUtc: `${logicalDate}T00:00:00.000Z`,
    windowEndUtc: `${logicalDate}T23:59:59.999Z`,
    maxConcurrentStages: opts.maxConcurrent ?? 4,
    stages: stages.map((s): PlannedStage => ({
      id: s.id,
      kind: 'glue',
      dependsOn: s.dependsOn ?? [],
      summary: `Glue ${s.id}`,
      activity: 'runGlueStage',
      input: {
        kind: 'glue',
        identity: {
          workflowId,
          pipeline: 'test',
          logicalDate,
          stageId: s.id,
          generation: 0,
          runKey: stageRunKey(workflowId, s.id, 0),
        },
        poll: { initialIntervalMs: 15_000, maxIntervalMs: 60_000, backoffCoefficient: 1.5 },
        jobName: 'medallion-sql-runner',
        arguments: {},
        metrics: { metricsUri: `s3://lake/_medallion/metrics/test/${logicalDate}/${s.id}.json` },
      },
      options: {
        jobRetries: s.jobRetries ?? 2,
        startToCloseTimeoutMs: s.startToCloseMs ?? 12 * 3600_000,
        heartbeatTimeoutMs: s.heartbeatMs ?? 120_000,
        retry: {
          maximumAttempts: s.maximumAttempts ?? 5,
          initialIntervalMs: s.retryInitialMs ?? 30_000,
          backoffCoefficient: 2,
          maximumIntervalMs: 3600_000,
        },
      },
    })),
  };
}

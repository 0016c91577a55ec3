/**
 * Runs one planned stage as its activity, with job retries: when the stage's AWS job itself ended
 * FAILED (AwsJobFailed), the stage runs again under the next job attempt's run key, which starts a
 * new AWS run instead of attaching to the failed one; up to `jobRetries` times (Airflow's `retries`).
 * Transient trouble (throttling, 5xx, a lost worker) is the activity retry policy's, and attaches.
 *
 * A reset run meets the failures of the run it replaced: a FAILED run found by its key (started
 * before this run asked) is replaced at once with the next attempt, without using up a retry, while
 * runs that are going or succeeded are attached to, so nothing finished is redone.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
} from '@temporalio/workflow';
import type { PipelineActivities } from '../core/activity-contracts';
import { type AwsFailureDetails, FailureType, NON_RETRYABLE_FAILURES } from '../core/errors';
import type { PlannedStage } from '../core/plan';
import { stageRunKey } from '../core/run-key';
import type { StageInput, StageResult } from '../core/stage-io';

/** Earlier FAILED runs a reset run may step over for one stage (a bound, not a budget). */
const MAX_EARLIER_FAILED_RUNS = 20;

export interface StageAttemptHooks {
  /** The stage's activity is about to run under job attempt `attempt`. */
  started(id: string, attempt: number): void;
}

/** Job attempts per stage id; remembered across the passes of one run (a reset run continues it). */
export class StageAttempts {
  private readonly attempts = new Map<string, number>();
  private readonly lastFailure = new Map<string, 'job' | 'other'>();

  constructor(
    private readonly hooks: StageAttemptHooks,
    /** A reset run: FAILED runs found by key are earlier failures, replaced without using a retry. */
    private readonly resetRun: boolean,
  ) {}

  attemptOf(id: string): number {
    return this.attempts.get(id) ?? 1;
  }

  /** Before a reset run takes a stage up again: a stage whose job ended FAILED moves to a new attempt. */
  afterReset(id: string): void {
    if (this.lastFailure.get(id) === 'job') this.attempts.set(id, this.attemptOf(id) + 1);
    this.lastFailure.delete(id);
  }

  async run(stage: PlannedStage): Promise<StageResult> {
    let retriesLeft = stage.options.jobRetries;
    let earlierFailures = 0;
    for (;;) {
      const attempt = this.attemptOf(stage.id);
      this.hooks.started(stage.id, attempt);
      try {
        return await runStageActivity(stage, attempt);
      } catch (error) {
        const job = jobFailure(error);
        this.lastFailure.set(stage.id, job ? 'job' : 'other');
        if (!job) throw error;
        const earlier = this.resetRun && job.foundByRunKey === true;
        if (earlier ? earlierFailures++ >= MAX_EARLIER_FAILED_RUNS : retriesLeft-- <= 0) throw error;
        this.attempts.set(stage.id, attempt + 1);
      }
    }
  }
}

/** The AWS details of a failure whose cause is the stage's AWS run ending FAILED, else undefined. */
function jobFailure(error: unknown): AwsFailureDetails | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  if (!(cause instanceof ApplicationFailure) || cause.type !== FailureType.AwsJobFailed) return undefined;
  return (cause.details?.[0] as AwsFailureDetails | undefined) ?? { service: '', message: cause.message };
}

function runStageActivity(stage: PlannedStage, attempt: number): Promise<StageResult> {
  const activities = proxyActivities<PipelineActivities>({
    startToCloseTimeout: stage.options.startToCloseTimeoutMs,
    heartbeatTimeout: stage.options.heartbeatTimeoutMs,
    retry: {
      maximumAttempts: stage.options.retry.maximumAttempts,
      initialInterval: stage.options.retry.initialIntervalMs,
      backoffCoefficient: stage.options.retry.backoffCoefficient,
      maximumInterval: stage.options.retry.maximumIntervalMs,
      nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES],
    },
    // A cancelled run waits until the activity has stopped the AWS job (rule 6).
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    activityId: attempt > 1 ? `${stage.id}#${attempt}` : stage.id,
    summary: `${stage.id}: ${stage.summary}${attempt > 1 ? ` (job attempt ${attempt})` : ''}`,
  });
  const input = withAttempt(stage.input, attempt);
  switch (input.kind) {
    case 'dms':
      return activities.runDmsStage(input);
    case 'appflow':
      return activities.runAppFlowStage(input);
    case 'glue':
      return activities.runGlueStage(input);
    case 'emr-serverless':
      return activities.runEmrServerlessStage(input);
    case 'redshift':
      return activities.runRedshiftStage(input);
  }
}

/** The stage input under attempt `attempt`'s run key (the first attempt's is the planned one). */
function withAttempt<I extends StageInput>(input: I, attempt: number): I {
  if (attempt === 1) return input;
  const { workflowId, stageId, generation } = input.identity;
  return {
    ...input,
    identity: { ...input.identity, runKey: stageRunKey(workflowId, stageId, generation, attempt) },
  };
}

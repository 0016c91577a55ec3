/**
 * One pipeline for one logical date: plan (a local activity), then walk the stage DAG (daily-run.ts),
 * each stage an activity that starts-or-attaches to its AWS job and polls it to the end, with job
 * retries (stage-attempts.ts). What the run shows of itself (report, `progress` query, current
 * details, search attributes) is kept by its DailyRunView.
 */
import { ApplicationFailure, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { PipelineActivities } from '../core/activity-contracts';
import { FailureType, NON_RETRYABLE_FAILURES } from '../core/errors';
import type { Plan } from '../core/plan';
import type { DailyRunReport } from '../core/run-report';
import { scheduledStartTimeKey } from '../core/search-attributes';
import type { BackfillLane } from '../core/backfill-lanes';
import type { DailyPipelineInput } from '../core/daily-contracts';
import { type BackfillLanesFlag, startedByBackfill, takeBackfillLanes } from './backfill-lanes-input';
import { validateDailyInput } from './daily-input';
import { DailyRun } from './daily-run';
import { DailyRunView } from './daily-run-view';
import { failureClass, describeFailure } from './failure-text';
import { PLAN_STAGE, sendAlerts } from './run-alerts';

export { progressQuery } from './daily-run-view';

// Planning is a few S3 reads: as a local activity it runs in the run's first workflow task.
const { planDailyRun } = proxyLocalActivities<PipelineActivities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    maximumAttempts: 10,
    initialInterval: '2s',
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES],
  },
  summary: 'plan the day: resolve pipeline, date and rerun generation into stages',
});

/** Each step after a cancellation does nothing; `finish` then rethrows the cancellation. */
export async function dailyPipeline(
  rawInput: DailyPipelineInput & BackfillLanesFlag,
): Promise<DailyRunReport> {
  const run = await planRun(rawInput);
  await run.walkDataPhase();
  await run.walkAfterDimensionLane();
  // Before the decision to fail, which `finish` takes in the run's last workflow task (see retryAfterReset).
  await run.settleOutcome();
  await run.retryAfterReset();
  return run.finish();
}

/**
 * Plans the day and sets the run up. A run refused for its input is marked rejected; any other
 * planning failure is alerted (but for a backfill's run: its backfill alerts at its end).
 */
async function planRun(rawInput: DailyPipelineInput & BackfillLanesFlag): Promise<DailyRun> {
  const raw = rawInput as Partial<DailyPipelineInput> | undefined;
  const view = new DailyRunView(String(raw?.pipeline ?? ''), stringOrUndefined(raw?.logicalDate));
  const inBackfill = startedByBackfill(rawInput);
  const { plan, lanes } = await planned(rawInput).catch(async (error: unknown) => {
    if (isRejection(error)) view.rejected();
    else if (!inBackfill) await alertPlanningFailed(view.report.pipeline, view.report.logicalDate, error);
    throw error;
  });
  return new DailyRun(plan, lanes, view, inBackfill);
}

/**
 * Planning failed for a reason other than the input (S3 unreachable, access denied, a bad config):
 * nothing ran, and the scheduled run that should have run the day needs a person. Without an
 * explicit date the day is not known yet; the scope is then the scheduled slot.
 */
async function alertPlanningFailed(pipeline: string, logicalDate: string, error: unknown): Promise<void> {
  const slot = workflowInfo().typedSearchAttributes.get(scheduledStartTimeKey);
  const scope = logicalDate || `scheduled/${(slot ?? new Date()).toISOString().replace(/[:.]/g, '-')}`;
  await sendAlerts({
    pipeline: pipeline || 'unknown-pipeline',
    scope,
    causes: [
      { kind: 'failed', stage: PLAN_STAGE, errorClass: failureClass(error), message: describeFailure(error) },
    ],
    healthy: [],
  });
}

/** Checks the input and plans the day; a backfill's lanes field comes off the input first. */
async function planned(rawInput: unknown): Promise<{ plan: Plan; lanes: BackfillLane[] }> {
  const { rest, lanes } = takeBackfillLanes(rawInput);
  const input = validateDailyInput(rest);
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(scheduledStartTimeKey);
  const plan = await planDailyRun({
    pipeline: input.pipeline,
    rerun: input.rerun,
    runChainId: info.firstExecutionRunId,
    nowUtc: new Date().toISOString(),
    ...(input.logicalDate ? { logicalDate: input.logicalDate } : {}),
    ...(scheduledAt ? { scheduledStartTime: scheduledAt.toISOString() } : {}),
    ...(input.stages ? { only: input.stages } : {}),
  });
  return { plan, lanes };
}

/** Refused for its input: by the workflow's own check or by planning (an activity failure's cause). */
function isRejection(error: unknown): boolean {
  const failure = error instanceof ApplicationFailure ? error : (error as { cause?: unknown } | null)?.cause;
  return failure instanceof ApplicationFailure && failure.type === FailureType.InvalidInput;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

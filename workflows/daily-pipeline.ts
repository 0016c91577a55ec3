/**
 * One pipeline for one logical date: plan (a local activity), then walk the stage DAG, each stage an
 * activity that starts-or-attaches to its AWS job and polls it to the end, with job retries
 * (stage-attempts.ts). What the run shows of itself (report, `progress` query, current details,
 * search attributes) is kept by its DailyRunView.
 */
import { ApplicationFailure, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { PipelineActivities } from '../core/activity-contracts';
import { deferredStageIds } from '../core/backfill-stages';
import { FailureType, NON_RETRYABLE_FAILURES } from '../core/errors';
import type { Plan, PlannedStage } from '../core/plan';
import type { DailyRunReport } from '../core/run-report';
import { scheduledStartTimeKey } from '../core/search-attributes';
import type { BackfillLane } from '../core/backfill-lanes';
import type { DailyPipelineInput } from '../core/daily-contracts';
import { runAfterDimensionLane } from './after-dimension-lane';
import { type BackfillLanesFlag, startedByBackfill, takeBackfillLanes } from './backfill-lanes-input';
import { validateDailyInput } from './daily-input';
import { recordChecks } from './check-recording';
import { DateInLanes } from './date-in-lanes';
import { DailyRunView } from './daily-run-view';
import { failureClass, describeFailure } from './failure-text';
import { type DagCallbacks, runDag } from './run-dag';
import { dailyAlertRequest, PLAN_STAGE, sendAlerts } from './run-alerts';
import { StageAttempts } from './stage-attempts';

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

export async function dailyPipeline(
  rawInput: DailyPipelineInput & BackfillLanesFlag,
): Promise<DailyRunReport> {
  const raw = rawInput as Partial<DailyPipelineInput> | undefined;
  const view = new DailyRunView(String(raw?.pipeline ?? ''), stringOrUndefined(raw?.logicalDate));
  // A backfill sends one alert for its failed dates at its end; its runs only send recoveries.
  const inBackfill = startedByBackfill(rawInput);
  const { plan, lanes } = await planned(rawInput).catch(async (error: unknown) => {
    if (isRejection(error)) view.rejected();
    else if (!inBackfill) await alertPlanningFailed(view.report.pipeline, view.report.logicalDate, error);
    throw error;
  });
  const dateInLanes = new DateInLanes(lanes, view);
  const runnable = plan.stages.filter((s) => !s.doneEarlier && !s.notSelected);
  // Started by a backfill: SCD2 merges (and what depends on them) wait for its dimension lane (rule 9).
  const deferred = dateInLanes.defersMerges ? deferredStageIds(plan.stages) : new Set<string>();
  const dataPhase = runnable.filter((s) => !deferred.has(s.id));
  const afterMerges = runnable.filter((s) => deferred.has(s.id));
  view.planned(plan, new Set(afterMerges.map((s) => s.id)));

  const info = workflowInfo();
  const resetRun = info.runId !== info.originalExecutionRunId;
  const attempts = new StageAttempts(view, resetRun);
  const dag = callbacks(view, attempts, () => dateInLanes.stageSettled());
  dateInLanes.watchIngest(dataPhase);
  let { cancellation } = await runDag(dagOf(dataPhase), plan.maxConcurrentStages, dag);
  if (cancellation === undefined && afterMerges.length > 0) {
    ({ cancellation } = await runAfterDimensionLane(afterMerges, view, dateInLanes, (stages) =>
      runDag(dagOf(stages), plan.maxConcurrentStages, dag),
    ));
  }

  // The outcome is recorded and alerted first, then the decision to fail is taken in the run's last
  // workflow task. A person who fixed the cause and reset the run to that task (Temporal UI "Reset")
  // gets it taken again, here in a new run whose history up to this point is the failed run's: the
  // stages that failed, and those they blocked, run once more (merges too, without waiting for a
  // backfill); a stage whose AWS job ended FAILED under a new job attempt (new run key), the others
  // start-or-attach under the same key. Their outcome is then recorded and alerted (a recovery).
  if (cancellation === undefined) await settleOutcome(plan, view, inBackfill);
  const unfinished = runnable.filter((s) => ['failed', 'blocked'].includes(view.stage(s.id).status));
  if (cancellation === undefined && unfinished.length > 0 && resetRun) {
    for (const stage of unfinished) attempts.afterReset(stage.id);
    view.pendingAgain(unfinished.map((s) => s.id));
    ({ cancellation } = await runDag(dagOf(unfinished), plan.maxConcurrentStages, dag));
    if (cancellation === undefined) await settleOutcome(plan, view, inBackfill);
  }

  if (cancellation !== undefined) {
    view.cancelled();
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrowing the SDK's own CancelledFailure
    throw cancellation;
  }
  return view.finish();
}

/** Records the run's check outcomes, concludes its report and sends its alerts (new causes, recoveries). */
async function settleOutcome(plan: Plan, view: DailyRunView, inBackfill: boolean): Promise<void> {
  await recordChecks(plan, view.report);
  view.conclude();
  await sendAlerts(dailyAlertRequest(view.report, inBackfill));
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

function callbacks(
  view: DailyRunView,
  attempts: StageAttempts,
  settled: () => void,
): DagCallbacks<PlannedStage> {
  return {
    run: async (stage) => {
      view.succeeded(stage.id, await attempts.run(stage));
      settled();
    },
    onFailed: (stage, error) => {
      view.failed(stage.id, error);
      settled();
    },
    onBlocked: (stage, blockedBy) => {
      view.blocked(stage.id, blockedBy);
      settled();
    },
  };
}

/** The stages to walk, with dependencies on stages outside them dropped (done, deferred or not asked for). */
function dagOf(stages: PlannedStage[]): PlannedStage[] {
  const ids = new Set(stages.map((s) => s.id));
  return stages.map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => ids.has(d)) }));
}

/** Refused for its input: by the workflow's own check or by planning (an activity failure's cause). */
function isRejection(error: unknown): boolean {
  const failure = error instanceof ApplicationFailure ? error : (error as { cause?: unknown } | null)?.cause;
  return failure instanceof ApplicationFailure && failure.type === FailureType.InvalidInput;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

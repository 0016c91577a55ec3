/**
 * One pipeline for one logical date: plan (a local activity), then walk the stage DAG, each stage an
 * activity that starts-or-attaches to its AWS job and polls it to the end. Visible in the Temporal UI
 * through search attributes, the `progress` query, activity summaries and the current-details panel.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  defineQuery,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { PipelineActivities } from '../core/activity-contracts';
import { deferredStageIds } from '../core/backfill-stages';
import { NON_RETRYABLE_FAILURES } from '../core/errors';
import type { Plan, PlannedStage } from '../core/plan';
import { type DailyRunReport, type StageReport, totalsOf } from '../core/run-report';
import { scheduledStartTimeKey } from '../core/search-attributes';
import type { StageResult } from '../core/stage-io';
import {
  type BackfillChildFlags,
  DEFER_DIMENSION_MERGES_PATCH,
  deferredStageReport,
  takeBackfillChildFlags,
} from './backfill-child-flag';
import { type DailyPipelineInput, validateDailyInput } from './daily-input';
import { describeFailure } from './failure-text';
import { RunPublisher } from './run-publisher';
import { type DagCallbacks, runDag } from './run-dag';

export const progressQuery = defineQuery<DailyRunReport>('progress');

const nonRetryableErrorTypes = [...NON_RETRYABLE_FAILURES];

const planOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 10, initialInterval: '2s', maximumInterval: '1 minute', nonRetryableErrorTypes },
  summary: 'plan the day: resolve pipeline, date and rerun generation into stages',
} as const;
const { planDailyRun: planDailyRunActivity } = proxyActivities<PipelineActivities>(planOptions);
const { planDailyRun: planDailyRunLocally } = proxyLocalActivities<PipelineActivities>(planOptions);

/**
 * Planning is a few S3 reads at the start of a run: as a local activity it runs in the same workflow
 * task, which saves an activity task and a workflow task per run (a backfill starts three runs per
 * date). Runs started before this plan with the regular activity.
 */
const PLAN_AS_LOCAL_ACTIVITY_PATCH = 'plan-as-local-activity';

/**
 * Stage-done markers were a local activity; replayed markers of two stages that finished in one
 * workflow task resolve together and reordered the dependents' starts (nondeterminism). A regular
 * activity's completion is a history event and replays in the order it happened.
 */
const RECORD_STAGE_DONE_AS_ACTIVITY_PATCH = 'record-stage-done-as-activity';

/**
 * The stage activity writes its done marker before it returns (activities/stage-done-markers.ts):
 * no recordStageDone activity per stage, which was half of a run's activities and workflow tasks.
 */
const STAGE_ACTIVITY_RECORDS_DONE_PATCH = 'stage-activity-records-done';

/** A reset run (runId differs from the started event's) retries the stages that failed before the reset. */
const RESET_RUN_RETRIES_FAILED_STAGES_PATCH = 'reset-run-retries-failed-stages';

const { recordStageDone: recordStageDoneActivity } = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    maximumAttempts: 20,
    initialInterval: '1s',
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes,
  },
  summary: 'record the finished stage, so a rerun skips it',
});

const { recordStageDone: recordStageDoneLocally } = proxyLocalActivities<PipelineActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    maximumAttempts: 20,
    initialInterval: '1s',
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes,
  },
});

export async function dailyPipeline(
  rawInput: DailyPipelineInput & BackfillChildFlags,
): Promise<DailyRunReport> {
  const { rest, deferDimensionMerges, runChain } = takeBackfillChildFlags(rawInput);
  const input = validateDailyInput(rest);
  const info = workflowInfo();
  const report: DailyRunReport = {
    pipeline: input.pipeline,
    logicalDate: input.logicalDate ?? '',
    generation: 0,
    status: 'planning',
    stages: [],
    totals: { rowsIn: 0, rowsOut: 0, quarantined: 0 },
  };
  setHandler(progressQuery, () => ({ ...report, totals: totalsOf(report.stages) }));
  const ui = new RunPublisher();

  const scheduledAt = info.typedSearchAttributes.get(scheduledStartTimeKey);
  const planDailyRun = patched(PLAN_AS_LOCAL_ACTIVITY_PATCH) ? planDailyRunLocally : planDailyRunActivity;
  const plan = await planDailyRun({
    pipeline: input.pipeline,
    rerun: input.rerun,
    runChainId: runChain ?? info.firstExecutionRunId,
    nowUtc: new Date().toISOString(),
    ...(input.logicalDate ? { logicalDate: input.logicalDate } : {}),
    ...(scheduledAt ? { scheduledStartTime: scheduledAt.toISOString() } : {}),
    ...(input.stages ? { only: input.stages } : {}),
  });
  report.logicalDate = plan.logicalDate;
  report.generation = plan.generation;
  report.status = 'running';
  // Started by a backfill: SCD2 merges (and what depends on them) wait for its dimension lane (rule 9).
  const deferred =
    deferDimensionMerges && patched(DEFER_DIMENSION_MERGES_PATCH)
      ? new Set([...deferredStageIds(plan.stages)].filter((id) => isRunnable(plan.stages, id)))
      : new Set<string>();
  report.stages = plan.stages.map((s) =>
    deferred.has(s.id) ? deferredStageReport(s) : initialStageReport(s),
  );
  ui.publish(report);

  const byId = new Map(report.stages.map((s) => [s.id, s]));
  const runnable = plan.stages.filter((s) => !s.doneEarlier && !s.notSelected && !deferred.has(s.id));
  const dagOf = (stages: PlannedStage[]) => {
    const ids = new Set(stages.map((s) => s.id));
    return stages.map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => ids.has(d)) }));
  };

  const callbacks: DagCallbacks<PlannedStage> = {
    run: async (stage) => {
      const stageReport = byId.get(stage.id)!;
      stageReport.status = 'running';
      stageReport.startedAt = new Date().toISOString();
      ui.publish(report);
      const result = await runStage(stage);
      // Runs started before the stage activities recorded their own done markers record them here.
      if (!patched(STAGE_ACTIVITY_RECORDS_DONE_PATCH)) {
        const recordStageDone = patched(RECORD_STAGE_DONE_AS_ACTIVITY_PATCH)
          ? recordStageDoneActivity
          : recordStageDoneLocally;
        await recordStageDone({
          pipeline: plan.pipeline,
          logicalDate: plan.logicalDate,
          generation: plan.generation,
          result,
        });
      }
      Object.assign(stageReport, fromResult(result), { status: 'succeeded' });
      ui.publish(report);
    },
    onFailed: (stage, error) => {
      Object.assign(byId.get(stage.id)!, {
        status: 'failed',
        error: describeFailure(error),
        finishedAt: new Date().toISOString(),
      });
      ui.publish(report);
    },
    onBlocked: (stage, blockedBy) => {
      Object.assign(byId.get(stage.id)!, {
        status: 'blocked',
        error: `not run: ${blockedBy} did not succeed`,
      });
    },
  };
  let { cancellation } = await runDag(dagOf(runnable), plan.maxConcurrentStages, callbacks);

  // The decision to fail is taken in the run's last workflow task. A person who fixed the cause and
  // reset the run to that task (Temporal UI "Reset") gets it taken again, here in a new run: the
  // stages that failed, and those they blocked, run once more (same generation: start-or-attach).
  const unfinished = runnable.filter((s) => ['failed', 'blocked'].includes(byId.get(s.id)!.status));
  if (
    cancellation === undefined &&
    unfinished.length > 0 &&
    info.runId !== info.originalExecutionRunId &&
    patched(RESET_RUN_RETRIES_FAILED_STAGES_PATCH)
  ) {
    for (const stage of unfinished) {
      const stageReport = byId.get(stage.id)!;
      stageReport.status = 'pending';
      delete stageReport.error;
      delete stageReport.finishedAt;
    }
    ui.publish(report);
    ({ cancellation } = await runDag(dagOf(unfinished), plan.maxConcurrentStages, callbacks));
  }

  if (cancellation !== undefined) {
    for (const stage of report.stages)
      if (stage.status === 'running' || stage.status === 'pending') stage.status = 'cancelled';
    report.status = 'cancelled';
    ui.publish(report);
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrowing the SDK's own CancelledFailure
    throw cancellation;
  }
  const failed = report.stages.filter((s) => s.status === 'failed');
  report.status = failed.length > 0 ? 'failed' : 'succeeded';
  report.totals = totalsOf(report.stages);
  ui.publish(report);
  if (failed.length > 0) {
    throw ApplicationFailure.create({
      type: 'PipelineFailed',
      nonRetryable: true,
      message: `${plan.workflowId}: ${failed.length} stage(s) failed: ${failed.map((s) => `${s.id} (${s.error})`).join('; ')}`,
      details: [report],
    });
  }
  return report;
}

function runStage(stage: PlannedStage): Promise<StageResult> {
  const activities = proxyActivities<PipelineActivities>({
    startToCloseTimeout: stage.options.startToCloseTimeoutMs,
    heartbeatTimeout: stage.options.heartbeatTimeoutMs,
    retry: {
      maximumAttempts: stage.options.retry.maximumAttempts,
      initialInterval: stage.options.retry.initialIntervalMs,
      backoffCoefficient: stage.options.retry.backoffCoefficient,
      maximumInterval: stage.options.retry.maximumIntervalMs,
      nonRetryableErrorTypes,
    },
    // A cancelled run waits until the activity has stopped the AWS job (rule 6).
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    summary: `${stage.id}: ${stage.summary}`,
  });
  const input = stage.input;
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

function isRunnable(stages: PlannedStage[], id: string): boolean {
  const stage = stages.find((s) => s.id === id);
  return stage !== undefined && !stage.doneEarlier && !stage.notSelected;
}

function initialStageReport(stage: PlannedStage): StageReport {
  const base = { id: stage.id, kind: stage.kind, summary: stage.summary };
  if (stage.notSelected) return { ...base, status: 'not-selected' };
  if (stage.doneEarlier) return { ...base, ...fromResult(stage.doneEarlier), status: 'skipped' };
  return { ...base, status: 'pending' };
}

function fromResult(result: StageResult): Partial<StageReport> {
  const { stageId: _stageId, ...rest } = result;
  return rest;
}

export type { Plan };

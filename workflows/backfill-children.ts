/**
 * How the backfill runs a date: as one child `dailyPipeline` with the canonical id `<pipeline>/<date>`
 * (the same id the schedule and the CLI give it), or, when a run with that id is already going (the
 * schedule, a person), by waiting for that run instead of starting a second one. Either way it learns
 * which stages are done.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowCancellationType,
  type ChildWorkflowHandle,
  ChildWorkflowFailure,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { dailyRunId } from '../core/activity-contracts';
import type { BackfillActivities } from '../core/backfill-contracts';
import { FailureType, NON_RETRYABLE_FAILURES } from '../core/errors';
import { warnCauses } from '../core/alerts';
import type { DateWarning } from '../core/backfill-report';
import type { DailyRunReport } from '../core/run-report';
import { searchAttributeKeys } from '../core/search-attributes';
import { HEARTBEAT_TIMEOUT } from '../core/stage-defaults';
import type { DailyPipelineInput } from '../core/daily-contracts';
import type { BackfillLanesFlag } from './backfill-lanes-input';
import { dailyPipeline } from './daily-pipeline';
import { describeFailure } from './failure-text';

export type DateRunInput = DailyPipelineInput & BackfillLanesFlag & { logicalDate: string };

export interface RunOutcome {
  /** Stages done after the run: its report's succeeded and skipped stages, or the markers after an attached run. */
  done: string[];
  cancelled?: boolean;
  /** Why the run did not succeed. */
  problem?: string;
  /** Planning refused it as a first run: the date ran after the backfill read its markers. */
  refusedAsFirstRun?: boolean;
  /** The `warn` checks its run's report says did not pass (none for a run the backfill only waited for). */
  warnings?: DateWarning[];
}

const { waitForDailyRun } = proxyActivities<BackfillActivities>({
  // A daily run takes hours at most; the wait heartbeats every few seconds, so a lost worker is noticed
  // after the stages' short heartbeat timeout, not minutes later.
  startToCloseTimeout: '3 days',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: {
    initialInterval: '5s',
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES],
  },
  summary: 'wait for the run of this date that was already going',
});

/** Starts the date's run; undefined when a run with its id is already going. */
export async function startDateRun(
  input: DateRunInput,
  summary: string,
): Promise<ChildWorkflowHandle<typeof dailyPipeline> | undefined> {
  try {
    return await startChild(dailyPipeline, {
      workflowId: dailyRunId(input.pipeline, input.logicalDate),
      args: [input],
      // Cancelling the backfill cancels the run, which stops its AWS jobs before it ends (rule 6).
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      // Terminating or timing out the backfill still cancels its runs instead of abandoning AWS jobs.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: summary,
      typedSearchAttributes: [
        { key: searchAttributeKeys.pipeline, value: input.pipeline },
        { key: searchAttributeKeys.logicalDate, value: input.logicalDate },
        { key: searchAttributeKeys.status, value: 'planning' },
      ],
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    throw error;
  }
}

/** How the run the backfill started ended. */
export async function outcomeOf(handle: ChildWorkflowHandle<typeof dailyPipeline>): Promise<RunOutcome> {
  try {
    const report = await handle.result();
    return { done: doneStages(report), ...warningsOf(report) };
  } catch (error) {
    if (isCancellation(error)) return { done: [], cancelled: true };
    const report = failedRunReport(error);
    return {
      done: report ? doneStages(report) : [],
      ...(report ? warningsOf(report) : {}),
      problem: describeChildFailure(error),
      ...(refusedAsFirstRun(error) ? { refusedAsFirstRun: true } : {}),
    };
  }
}

/** Waits for a run of the date the backfill did not start, then reads which stages are done. */
export async function waitForOtherRun(
  workflowId: string,
  markers: () => Promise<string[]>,
): Promise<RunOutcome & { attachedTo: string }> {
  try {
    const outcome = await waitForDailyRun({ workflowId });
    const attachedTo = `${workflowId} (run ${outcome.runId})`;
    const done = await markers();
    return outcome.status === 'COMPLETED'
      ? { done, attachedTo }
      : { done, attachedTo, problem: `the run it waited for, ${attachedTo}, ended ${outcome.status}` };
  } catch (error) {
    if (isCancellation(error)) return { done: [], cancelled: true, attachedTo: workflowId };
    throw error;
  }
}

function doneStages(report: DailyRunReport): string[] {
  return report.stages.filter((s) => s.status === 'succeeded' || s.status === 'skipped').map((s) => s.id);
}

function warningsOf(report: DailyRunReport): { warnings?: DateWarning[] } {
  const warnings = report.stages.flatMap((s) =>
    s.status === 'skipped'
      ? []
      : warnCauses(s.id, s.checks).map((c) => ({ check: `${s.id}.${c.errorClass}`, message: c.message })),
  );
  return warnings.length > 0 ? { warnings } : {};
}

/** The daily run attaches its report to its PipelineFailed failure. */
function failedRunReport(error: unknown): DailyRunReport | undefined {
  const cause = error instanceof ChildWorkflowFailure ? error.cause : undefined;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const report = cause.details?.[0] as DailyRunReport | undefined;
  return Array.isArray(report?.stages) ? report : undefined;
}

/** Planning refused the run because the date already ran and the run was not marked a rerun. */
function refusedAsFirstRun(error: unknown): boolean {
  const cause = error instanceof ChildWorkflowFailure ? error.cause : undefined;
  const failure = cause instanceof ActivityFailure ? cause.cause : cause;
  const details =
    failure instanceof ApplicationFailure ? (failure.details?.[0] as { field?: string }) : undefined;
  return (
    failure instanceof ApplicationFailure &&
    failure.type === FailureType.InvalidInput &&
    details?.field === 'rerun'
  );
}

function describeChildFailure(error: unknown): string {
  return describeFailure(error instanceof ChildWorkflowFailure && error.cause ? error.cause : error);
}

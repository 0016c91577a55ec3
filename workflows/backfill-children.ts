/**
 * How the backfill runs one daily run of a date: as a child `dailyPipeline` with the canonical id
 * `<pipeline>/<date>`, or, when a run with that id is already going (the schedule, a person), by
 * waiting for that run instead of starting a second one. Either way it learns which stages are done.
 */
import { workflowNowMs } from './workflow-clock';
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { dailyRunId } from '../core/activity-contracts';
import type { BackfillActivities } from '../core/backfill-contracts';
import { FailureType, NON_RETRYABLE_FAILURES } from '../core/errors';
import type { DailyRunReport } from '../core/run-report';
import { searchAttributeKeys } from '../core/search-attributes';
import { HEARTBEAT_TIMEOUT } from '../core/stage-defaults';
import type { BackfillChildFlags } from './backfill-child-flag';
import type { DailyPipelineInput } from '../core/daily-contracts';
import { dailyPipeline } from './daily-pipeline';
import { describeFailure } from './failure-text';

export type DailyChildInput = DailyPipelineInput & BackfillChildFlags & { logicalDate: string };

export interface ChildOutcome {
  /** Stages done after the run: its report's succeeded and skipped stages, or the markers after an attached run. */
  done: string[];
  cancelled?: boolean;
  /** Why the run did not succeed. */
  problem?: string;
  /** The run waited for instead of starting one. */
  attachedTo?: string;
  /** Duration of a run this backfill started (not of an attached one): feeds the ETA. */
  elapsedMs?: number;
}

/** Versioning marker: a refused child that named its stages drops those another run finished. */
const REFUSED_RUN_SKIPS_DONE_STAGES_PATCH = 'backfill-refused-run-skips-done-stages';

const nonRetryableErrorTypes = [...NON_RETRYABLE_FAILURES];

const { waitForDailyRun } = proxyActivities<BackfillActivities>({
  // A daily run takes hours at most; the wait heartbeats every few seconds, so a lost worker is noticed
  // after the stages' short heartbeat timeout, not minutes later.
  startToCloseTimeout: '3 days',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '5s', maximumInterval: '1 minute', nonRetryableErrorTypes },
  summary: 'wait for the run of this date that was already going',
});

export async function runDailyChild(
  input: DailyChildInput,
  summary: string,
  markersOf: (date: string) => Promise<string[]>,
): Promise<ChildOutcome> {
  const outcome = await runOnce(input, summary, markersOf);
  if (!outcome.refusedAsFirstRun || input.rerun) return outcome;
  // The date ran after the backfill read its markers (the schedule, a person): run it again as a
  // rerun, which skips what that run finished. Stages named in the input would run even if done, so
  // those the other run finished are dropped first.
  if (input.stages?.length && patched(REFUSED_RUN_SKIPS_DONE_STAGES_PATCH)) {
    const done = await markersOf(input.logicalDate);
    const stages = input.stages.filter((id) => !done.includes(id));
    if (stages.length === 0) return { done };
    return runOnce({ ...input, rerun: true, stages }, summary, markersOf);
  }
  return runOnce({ ...input, rerun: true }, summary, markersOf);
}

async function runOnce(
  input: DailyChildInput,
  summary: string,
  markersOf: (date: string) => Promise<string[]>,
): Promise<ChildOutcome & { refusedAsFirstRun?: boolean }> {
  const workflowId = dailyRunId(input.pipeline, input.logicalDate);
  const startedAt = workflowNowMs();
  let handle;
  try {
    handle = await startChild(dailyPipeline, {
      workflowId,
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
    if (error instanceof WorkflowExecutionAlreadyStartedError)
      return attach(workflowId, input.logicalDate, markersOf);
    throw error;
  }
  try {
    const report = await handle.result();
    return { done: doneStages(report), elapsedMs: workflowNowMs() - startedAt };
  } catch (error) {
    if (isCancellation(error)) return { done: [], cancelled: true };
    const report = failedRunReport(error);
    return {
      done: report ? doneStages(report) : [],
      problem: describeChildFailure(error),
      elapsedMs: workflowNowMs() - startedAt,
      ...(refusedAsFirstRun(error) ? { refusedAsFirstRun: true } : {}),
    };
  }
}

async function attach(
  workflowId: string,
  date: string,
  markersOf: (date: string) => Promise<string[]>,
): Promise<ChildOutcome> {
  try {
    const outcome = await waitForDailyRun({ workflowId });
    const attachedTo = `${workflowId} (run ${outcome.runId})`;
    const done = await markersOf(date);
    return outcome.status === 'COMPLETED'
      ? { done, attachedTo }
      : { done, attachedTo, problem: `the run it waited for, ${attachedTo}, ended ${outcome.status}` };
  } catch (error) {
    if (isCancellation(error)) {
      return { done: [], cancelled: true, attachedTo: workflowId };
    }
    throw error;
  }
}

function doneStages(report: DailyRunReport): string[] {
  return report.stages.filter((s) => s.status === 'succeeded' || s.status === 'skipped').map((s) => s.id);
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

/**
 * A failed day fixed in the Temporal UI with "Reset" (dev server + emulator): the UI sends
 * ResetWorkflowExecution with the WorkflowTaskCompleted event a person picked; the new run replays
 * the history up to there and runs the rest on the worker. Here the DMS task's start was refused
 * (AccessDenied, not retried), so nothing downstream of the CDC ran; the person fixes the
 * permission, then resets.
 *
 * What the UI offers and what it does with this workflow:
 * - the task before the failed stage (the WorkflowTaskCompleted that scheduled it): the stage runs
 *   again and the day completes; stages that had finished attach to their AWS runs, nothing starts twice;
 * - the last workflow task (the one that decided to fail): the new run sees it is a reset run and runs
 *   the failed stage and the stages it blocked once more; the finished ones are not touched, and the
 *   day completes.
 * A stage whose AWS job itself ended FAILED (its job retries used up) gets a new AWS run from a reset:
 * the next job attempt's run key, for that stage only; runs that are going or succeeded are attached.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDailyRun } from '../../cli/daily-runs';
import { failureReport } from '../../cli/failure-report';
import type { DailyRunReport } from '../../core/run-report';
import { searchAttributeKeys } from '../../core/search-attributes';
import { startTestStack, type TestStack } from '../support/local-stack/local-stack-fixture';

const { EventType, ResetReapplyType } = temporal.api.enums.v1;
const FIRST_DAY = '2026-01-15';
const SECOND_DAY = '2026-01-16';
const THIRD_DAY = '2026-01-17';
const FOURTH_DAY = '2026-01-18';
const WORKFLOW_ID = `shop/${FIRST_DAY}`;

let t: TestStack;
let failedRunId: string;
let failure: DailyRunReport & { message: string };

/** The request the UI's Reset dialog sends (workflow.reset route → ResetWorkflowExecution). */
async function resetLikeTheUi(
  client: Client,
  runId: string,
  eventId: EventId,
  workflowId = WORKFLOW_ID,
): Promise<string> {
  const response: temporal.api.workflowservice.v1.IResetWorkflowExecutionResponse =
    await client.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId, runId },
      workflowTaskFinishEventId: eventId,
      resetReapplyType: ResetReapplyType.RESET_REAPPLY_TYPE_SIGNAL,
      requestId: randomUUID(),
      reason: 'DMS permission fixed (test)',
    });
  return response.runId!;
}

async function historyOf(runId: string, workflowId = WORKFLOW_ID): Promise<History> {
  return t.stack.client.workflow.getHandle(workflowId, runId).fetchHistory();
}

/** Event ids are int64 (Long) in the API. */
type EventId = NonNullable<temporal.api.history.v1.IHistoryEvent['eventId']>;

function lastWorkflowTask(history: History): EventId {
  const completed = history.events!.filter(
    (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  );
  return completed.at(-1)!.eventId!;
}

/** The WorkflowTaskCompleted event whose commands scheduled the activity that failed. */
function taskBeforeFailedActivity(history: History): EventId {
  const events = history.events!;
  const failed = events.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED)!;
  const scheduledId = Number(failed.activityTaskFailedEventAttributes!.scheduledEventId);
  const scheduled = events.find((e) => Number(e.eventId) === scheduledId)!;
  return scheduled.activityTaskScheduledEventAttributes!.workflowTaskCompletedEventId!;
}

interface RunOutcome {
  status: 'COMPLETED' | 'FAILED';
  report: (DailyRunReport & { message?: string }) | undefined;
}

async function outcomeOf(runId: string, workflowId = WORKFLOW_ID): Promise<RunOutcome> {
  const handle = t.stack.client.workflow.getHandle(workflowId, runId);
  return handle.result().then(
    (report): RunOutcome => ({ status: 'COMPLETED', report }),
    (error: unknown): RunOutcome => ({ status: 'FAILED', report: failureReport(error) }),
  );
}

/** Runs the day with the DMS task's start refused once (AccessDenied, not retried): the day fails. */
async function failDay(
  logicalDate: string,
): Promise<{ runId: string; failure: DailyRunReport & { message: string } }> {
  await t.stack.emulator.admin.failNextCalls({
    operation: 'dms:StartReplicationTask',
    count: 1,
    code: 'AccessDeniedFault',
    message: 'User is not authorized to perform: dms:StartReplicationTask',
    httpStatus: 400,
  });
  const handle = await startDailyRun(t.stack.client, {
    pipeline: 'shop',
    logicalDate,
    taskQueue: t.taskQueue,
  });
  const failure = await handle.result().then(
    () => {
      throw new Error('the scripted AccessDenied should have failed the day');
    },
    (error: unknown) => failureReport(error)!,
  );
  const runId = (await handle.describe()).runId;
  // The person fixes the cause: the emulator answers StartReplicationTask normally again.
  await t.stack.emulator.admin.resetScript();
  return { runId, failure };
}

beforeAll(async () => {
  t = await startTestStack(FIRST_DAY);
  ({ runId: failedRunId, failure } = await failDay(FIRST_DAY));
}, 90_000);

afterAll(async () => {
  await t?.stop();
});

it('fails the day on the refused DMS start, blocking only what depends on it', () => {
  const status = Object.fromEntries(failure.stages.map((s) => [s.id, s.status]));
  expect(status).toMatchObject({
    ingest_oltp: 'failed',
    silver_orders: 'blocked',
    load_fact_orders: 'blocked',
    ingest_crm: 'succeeded',
    silver_accounts: 'succeeded',
  });
  expect(failure.message).toContain('AccessDeniedFault');
});

it('completes the day when reset to the workflow task that started the failed stage', async () => {
  const startsBefore = t.stack.emulator.admin.startCalls({ outcome: 'started' }).length;
  const history = await historyOf(failedRunId);
  const runId = await resetLikeTheUi(t.stack.client, failedRunId, taskBeforeFailedActivity(history));
  const outcome = await outcomeOf(runId);
  expect(outcome.status).toBe('COMPLETED');
  const stages = new Map(outcome.report!.stages.map((s) => [s.id, s]));
  expect(outcome.report!.generation).toBe(0);
  // That task also planned the day (a local activity): the reset plans again, and the stages that
  // finished before the reset are skipped as done; the others run.
  const doneBefore = ['ingest_crm', 'silver_accounts'];
  for (const [id, stage] of stages)
    expect([id, stage.status]).toEqual([id, doneBefore.includes(id) ? 'skipped' : 'succeeded']);
  expect(stages.get('ingest_oltp')!.attached).toBe(false);

  // Nothing keyed was started twice; the DMS task started once (the refused call started nothing).
  const started = t.stack.emulator.admin.startCalls({ outcome: 'started' });
  const keys = started.map((c) => c.idempotencyKey).filter((k): k is string => k !== undefined);
  expect(new Set(keys).size).toBe(keys.length);
  expect(started.filter((c) => c.operation === 'StartReplicationTask')).toHaveLength(1);
  const added = started.slice(startsBefore).map((c) => `${c.operation} ${c.idempotencyKey ?? c.resource}`);
  expect(added).not.toContainEqual(expect.stringMatching(/md-(ingest-crm|silver-accounts)-/));
  expect(added).toContainEqual(expect.stringMatching(/^StartJobRun md-silver-orders-g0-/));

  const description = await t.stack.client.workflow.getHandle(WORKFLOW_ID).describe();
  expect(description.runId).toBe(runId);
  expect(description.typedSearchAttributes.get(searchAttributeKeys.status)).toBe('succeeded');
});

it('completes the day when reset to its last workflow task, starting only what had not finished', async () => {
  // A second day (the first is reset above), failed the same way; its CDC window follows the first's.
  const workflowId = `shop/${SECOND_DAY}`;
  const { runId: failedRun, failure: secondFailure } = await failDay(SECOND_DAY);
  expect(secondFailure.stages.find((s) => s.id === 'ingest_oltp')?.status).toBe('failed');
  const startsBefore = t.stack.emulator.admin.startCalls({ outcome: 'started' }).length;
  const history = await historyOf(failedRun, workflowId);
  const runId = await resetLikeTheUi(t.stack.client, failedRun, lastWorkflowTask(history), workflowId);
  const outcome = await outcomeOf(runId, workflowId);
  expect(outcome.status).toBe('COMPLETED');
  expect(outcome.report!.stages.every((s) => s.status === 'succeeded')).toBe(true);
  expect(outcome.report!.generation).toBe(0);

  // What started after the reset: the DMS window and the stages it had blocked, each once; none of the
  // stages that had finished before the reset (the CRM branch) started again.
  const added = t.stack.emulator.admin
    .startCalls({ outcome: 'started' })
    .slice(startsBefore)
    .map((c) => `${c.operation} ${c.idempotencyKey ?? c.resource}`);
  expect(added.filter((a) => a.startsWith('StartReplicationTask'))).toHaveLength(1);
  expect(added).toContainEqual(expect.stringMatching(/^StartJobRun md-silver-orders-g0-/));
  expect(added).not.toContainEqual(expect.stringMatching(/md-(ingest-crm|silver-accounts)-/));
  expect(new Set(added).size).toBe(added.length);

  const description = await t.stack.client.workflow.getHandle(workflowId).describe();
  expect(description.runId).toBe(runId);
  expect(description.typedSearchAttributes.get(searchAttributeKeys.status)).toBe('succeeded');
});

/** Runs the day with every run of a Glue stage failing (1 + the default 2 job retries): the day fails. */
async function failGlueJob(logicalDate: string, stage: string): Promise<string> {
  await t.stack.emulator.admin.failNextRuns({
    service: 'glue',
    name: stage,
    count: 3,
    message: `Scripted failure: division by zero in ${stage}`,
  });
  const handle = await startDailyRun(t.stack.client, {
    pipeline: 'shop',
    logicalDate,
    taskQueue: t.taskQueue,
  });
  const report = await handle.result().then(
    () => undefined,
    (error: unknown) => failureReport(error),
  );
  expect(report?.stages.find((s) => s.id === stage)).toMatchObject({ status: 'failed', attempt: 3 });
  await t.stack.emulator.admin.resetScript();
  return (await handle.describe()).runId;
}

/** The StartJobRun calls for a stage's Glue job, as `<operation> <run key>` (the emulator's start log). */
function glueStartsAfter(startsBefore: number): string[] {
  return t.stack.emulator.admin
    .startCalls({ outcome: 'started' })
    .slice(startsBefore)
    .map((c) => `${c.operation} ${c.idempotencyKey ?? c.resource}`);
}

it('starts a new AWS run for the stage whose Glue job ended FAILED when reset to the last task', async () => {
  const workflowId = `shop/${THIRD_DAY}`;
  const failedRun = await failGlueJob(THIRD_DAY, 'silver_orders');
  const orderStarts = t.stack.emulator.admin
    .startCalls({ operation: 'StartJobRun', outcome: 'started' })
    .filter((c) => c.idempotencyKey?.startsWith('md-silver-orders-g0'));
  const startsBefore = t.stack.emulator.admin.startCalls({ outcome: 'started' }).length;
  const history = await historyOf(failedRun, workflowId);
  const runId = await resetLikeTheUi(t.stack.client, failedRun, lastWorkflowTask(history), workflowId);
  const outcome = await outcomeOf(runId, workflowId);
  expect(outcome.status).toBe('COMPLETED');
  expect(outcome.report!.stages.find((s) => s.id === 'silver_orders')).toMatchObject({
    status: 'succeeded',
    attempt: 4,
    attached: false,
  });
  const added = glueStartsAfter(startsBefore);
  // silver_orders once, under a key none of its three failed runs had; the rest are what it blocked.
  const silverOrders = added.filter((a) => a.startsWith('StartJobRun md-silver-orders-'));
  expect(silverOrders).toEqual([expect.stringMatching(/^StartJobRun md-silver-orders-g0-a4-/)]);
  expect(orderStarts.map((c) => c.idempotencyKey)).not.toContain(silverOrders[0]!.split(' ')[1]);
  expect(added).not.toContainEqual(expect.stringMatching(/md-(ingest-crm|silver-accounts|ingest-oltp)-/));
  expect(new Set(added).size).toBe(added.length);
});

it('steps over the failed AWS runs when reset to the first task, attaching to nothing that failed', async () => {
  const workflowId = `shop/${FOURTH_DAY}`;
  const failedRun = await failGlueJob(FOURTH_DAY, 'silver_orders');
  const startsBefore = t.stack.emulator.admin.startCalls({ outcome: 'started' }).length;
  const history = await historyOf(failedRun, workflowId);
  const firstTask = history.events!.find(
    (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  )!;
  const runId = await resetLikeTheUi(t.stack.client, failedRun, firstTask.eventId!, workflowId);
  const outcome = await outcomeOf(runId, workflowId);
  expect(outcome.status).toBe('COMPLETED');
  // Replanned: finished stages are skipped; silver_orders met its three FAILED runs by key and replaced them.
  expect(outcome.report!.stages.find((s) => s.id === 'silver_orders')).toMatchObject({
    status: 'succeeded',
    attempt: 4,
  });
  const added = glueStartsAfter(startsBefore);
  expect(added.filter((a) => a.startsWith('StartJobRun md-silver-orders-'))).toEqual([
    expect.stringMatching(/^StartJobRun md-silver-orders-g0-a4-/),
  ]);
  expect(new Set(added).size).toBe(added.length);
});

import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineActivities } from '../../core/activity-contracts';
import type { Plan } from '../../core/plan';
import type { DailyRunReport } from '../../core/run-report';
import { stageRunKey } from '../../core/run-key';
import { scheduledStartTimeKey, searchAttributeKeys } from '../../core/search-attributes';
import type { GlueStageInput } from '../../core/stage-io';
import { dailyPipeline, progressQuery } from '../../workflows';
import { mockActivities, succeeded } from '../support/mock-activities';
import { glueOnlyPlan } from '../support/plans';
import { timeSkippingEnv } from '../../local/temporal-servers';
import { productionWorkflowBundle } from '../../local/workflow-bundle-cache';

let env: TestWorkflowEnvironment;
let counter = 0;

beforeAll(async () => {
  env = await timeSkippingEnv();
  // The real server defines this system attribute for schedules; the Java test server needs it added.
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: {
      TemporalScheduledStartTime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    },
  });
});

afterAll(async () => {
  await env?.teardown();
});

async function runWith<T>(
  activities: PipelineActivities,
  body: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `daily-${++counter}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await productionWorkflowBundle(),
    activities,
    // Heartbeats are throttled in wall time; server time races ahead here, so flush them at once.
    maxHeartbeatThrottleInterval: '10ms',
  });
  return worker.runUntil(body(taskQueue));
}

function start(taskQueue: string, input: Parameters<typeof dailyPipeline>[0], extra: object = {}) {
  return env.client.workflow.start(dailyPipeline, {
    args: [input],
    taskQueue,
    workflowId: `wf-${counter}-${input.logicalDate ?? 'scheduled'}`,
    ...extra,
  });
}

/**
 * Inside a mocked activity: lets `total` of server time pass in `step`s, heartbeating after each like
 * the real poller does (steps stay below the heartbeat timeout, so the activity stays alive).
 */
async function pollFor(total: string, step: string, heartbeat: () => void): Promise<number> {
  const steps = Math.round(
    msToNumber(total as Parameters<typeof msToNumber>[0]) /
      msToNumber(step as Parameters<typeof msToNumber>[0]),
  );
  for (let i = 0; i < steps; i++) {
    await env.sleep(step as Parameters<typeof env.sleep>[0]);
    heartbeat();
    await new Promise((r) => setTimeout(r, 20));
    const signal = Context.current().cancellationSignal;
    if (signal.aborted) throw signal.reason;
  }
  return steps;
}

async function failureReport(promise: Promise<unknown>): Promise<DailyRunReport> {
  const error = await promise.then(
    () => {
      throw new Error('expected the run to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return (cause as ApplicationFailure).details![0] as DailyRunReport;
}

describe('dailyPipeline in the time-skipping environment', () => {
  it('waits out a 6-hour Glue job that polls and heartbeats, in seconds of wall time', async () => {
    // A long job's stage heartbeats well inside its timeout; 10-minute steps leave 5 steps of slack.
    const plan = glueOnlyPlan([{ id: 'silver_orders', heartbeatMs: 3600_000 }]);
    let polls = 0;
    const activities = mockActivities(plan, async (input: GlueStageInput) => {
      // Polls every 10 minutes of server time for 6 hours, heartbeating the run id like the real poller.
      polls = await pollFor('6 hours', '10 minutes', () =>
        Context.current().heartbeat({ awsRunId: 'jr_1', awsState: 'RUNNING', polls: polls++ }),
      );
      return succeeded(input.identity.stageId, { durationMs: 6 * 3600_000 });
    });
    const wallStart = performance.now();
    const serverStart = await env.currentTimeMs();
    const report = await runWith(activities, (tq) =>
      start(tq, { pipeline: 'test', logicalDate: '2026-01-15' }).then((h) => h.result()),
    );
    expect(report.status).toBe('succeeded');
    expect(report.stages[0]).toMatchObject({
      id: 'silver_orders',
      status: 'succeeded',
      awsRunId: 'jr_silver_orders',
    });
    expect((await env.currentTimeMs()) - serverStart).toBeGreaterThanOrEqual(6 * 3600_000);
    // Time skipping, not waiting: 6 hours of server time (21,600 s) pass in 2-9 s of wall time on an idle
    // 2-core machine and took 44 s at a load average of 13, so the bound is far from both.
    expect(performance.now() - wallStart).toBeLessThan(120_000);
    // The stage activity records its own done marker: the workflow schedules no recordStageDone.
    expect(activities.calls.recorded).toEqual([]);
  });

  it('retries a stage that fails three times with long backoff, then succeeds', async () => {
    const plan = glueOnlyPlan([{ id: 'flaky', retryInitialMs: 30 * 60_000 }]);
    const attempts: number[] = [];
    const activities = mockActivities(plan, (input) => {
      const attempt = Context.current().info.attempt;
      attempts.push(attempt);
      if (attempt <= 3) throw ApplicationFailure.retryable('Rate exceeded', 'AwsThrottled');
      return Promise.resolve(succeeded(input.identity.stageId));
    });
    const serverStart = await env.currentTimeMs();
    const report = await runWith(activities, (tq) =>
      start(tq, { pipeline: 'test', logicalDate: '2026-01-15' }).then((h) => h.result()),
    );
    expect(report.status).toBe('succeeded');
    expect(attempts).toEqual([1, 2, 3, 4]);
    // Backoff 30 min, 60 min, then capped at the 1-hour maximum interval: 150 min of server time.
    expect((await env.currentTimeMs()) - serverStart).toBeGreaterThanOrEqual(150 * 60_000);
  });

  it('does not retry a non-retryable AWS failure and reports its message', async () => {
    const plan = glueOnlyPlan([{ id: 'bad', jobRetries: 0 }]);
    let calls = 0;
    const activities = mockActivities(plan, () => {
      calls++;
      throw ApplicationFailure.nonRetryable('Glue job silver run jr_9 ended FAILED: bad SQL', 'AwsJobFailed');
    });
    const report = await runWith(activities, (tq) =>
      failureReport(start(tq, { pipeline: 'test', logicalDate: '2026-01-15' }).then((h) => h.result())),
    );
    expect(calls).toBe(1);
    expect(report.stages[0]).toMatchObject({
      status: 'failed',
      attempt: 1,
      error: 'AwsJobFailed: Glue job silver run jr_9 ended FAILED: bad SQL',
    });
  });

  it("starts a new AWS run under a new run key after a failed job, up to the stage's job retries", async () => {
    // Default jobRetries 2: the job fails twice, the third run succeeds.
    const plan = glueOnlyPlan([{ id: 'flaky' }, { id: 'after', dependsOn: ['flaky'] }]);
    const keys: string[] = [];
    const activities = mockActivities(plan, (input) => {
      if (input.identity.stageId === 'after') return Promise.resolve(succeeded('after'));
      keys.push(input.identity.runKey);
      if (keys.length < 3)
        throw ApplicationFailure.nonRetryable(
          `Glue run jr_${keys.length} ended FAILED: executor lost`,
          'AwsJobFailed',
          {
            service: 'Glue',
            message: 'executor lost',
            awsState: 'FAILED',
          },
        );
      return Promise.resolve(succeeded('flaky'));
    });
    const { report, history } = await runWith(activities, async (tq) => {
      const handle = await start(tq, { pipeline: 'test', logicalDate: '2026-01-15' });
      return { report: await handle.result(), history: await handle.fetchHistory() };
    });
    expect(report.status).toBe('succeeded');
    expect(report.stages[0]).toMatchObject({ id: 'flaky', status: 'succeeded', attempt: 3 });
    expect(keys).toEqual([
      stageRunKey('test/2026-01-15', 'flaky', 0),
      stageRunKey('test/2026-01-15', 'flaky', 0, 2),
      stageRunKey('test/2026-01-15', 'flaky', 0, 3),
    ]);
    expect(new Set(keys).size).toBe(3);
    // Each job attempt is its own activity, named after the stage (the UI's pending activity card).
    const scheduled = history.events!.flatMap((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      return a?.activityType?.name === 'runGlueStage' ? [a.activityId] : [];
    });
    expect(scheduled).toEqual(['flaky', 'flaky#2', 'flaky#3', 'after']);
  });

  it('fails the stage once its job failed jobRetries + 1 times', async () => {
    const plan = glueOnlyPlan([{ id: 'broken', jobRetries: 1 }]);
    let calls = 0;
    const activities = mockActivities(plan, () => {
      calls++;
      throw ApplicationFailure.nonRetryable(`Glue run jr_${calls} ended FAILED: bad SQL`, 'AwsJobFailed');
    });
    const report = await runWith(activities, (tq) =>
      failureReport(start(tq, { pipeline: 'test', logicalDate: '2026-01-15' }).then((h) => h.result())),
    );
    expect(calls).toBe(2);
    expect(report.stages[0]).toMatchObject({
      status: 'failed',
      attempt: 2,
      error: expect.stringContaining('jr_2'),
    });
  });

  it("does not start a new AWS run for a failure that is not the job's own", async () => {
    const plan = glueOnlyPlan([{ id: 'denied' }]);
    let calls = 0;
    const activities = mockActivities(plan, () => {
      calls++;
      throw ApplicationFailure.nonRetryable(
        'StartJobRun failed with AccessDeniedException',
        'AwsAccessDenied',
      );
    });
    const report = await runWith(activities, (tq) =>
      failureReport(start(tq, { pipeline: 'test', logicalDate: '2026-01-15' }).then((h) => h.result())),
    );
    expect(calls).toBe(1);
    expect(report.stages[0]).toMatchObject({ status: 'failed', attempt: 1 });
  });

  it('fails a stage that exceeds its start-to-close timeout', async () => {
    // The heartbeat timeout is longer than start-to-close, so only start-to-close can end the attempt: with
    // 120 s, a loaded machine's late heartbeat let the server skip past it first (HEARTBEAT timeout).
    const plan = glueOnlyPlan([
      { id: 'slow', startToCloseMs: 3600_000, heartbeatMs: 3 * 3600_000, maximumAttempts: 1 },
    ]);
    let timedOutAt = '';
    const activities = mockActivities(plan, async (input) => {
      try {
        await pollFor('2 hours', '1 minute', () => Context.current().heartbeat());
      } catch (error) {
        timedOutAt = String(error);
        throw error;
      }
      return succeeded(input.identity.stageId);
    });
    const report = await runWith(activities, (tq) =>
      failureReport(start(tq, { pipeline: 'test', logicalDate: '2026-01-15' }).then((h) => h.result())),
    );
    expect(report.stages[0]!.status).toBe('failed');
    expect(report.stages[0]!.error).toMatch(/^timed out \(START_TO_CLOSE timeout/);
    // The worker learnt of the timeout through its heartbeat and stopped polling.
    expect(timedOutAt).not.toBe('');
  });

  it('lets an independent branch finish when another branch fails, and blocks the failed branch', async () => {
    const plan = glueOnlyPlan([
      { id: 'a' },
      { id: 'a_child', dependsOn: ['a'] },
      { id: 'b' },
      { id: 'b_child', dependsOn: ['b'] },
    ]);
    const ran: string[] = [];
    const activities = mockActivities(plan, async (input) => {
      ran.push(input.identity.stageId);
      if (input.identity.stageId === 'a') throw ApplicationFailure.nonRetryable('boom', 'AwsJobFailed');
      await new Promise((r) => setTimeout(r, 100));
      return succeeded(input.identity.stageId);
    });
    const report = await runWith(activities, (tq) =>
      failureReport(start(tq, { pipeline: 'test', logicalDate: '2026-01-15' }).then((h) => h.result())),
    );
    const status = Object.fromEntries(report.stages.map((s) => [s.id, s.status]));
    expect(status).toEqual({ a: 'failed', a_child: 'blocked', b: 'succeeded', b_child: 'succeeded' });
    expect(ran).not.toContain('a_child');
  });

  it('never runs more stages at once than the cap', async () => {
    const plan = glueOnlyPlan(
      Array.from({ length: 6 }, (_, i) => ({ id: `s${i}` })),
      { maxConcurrent: 2 },
    );
    let running = 0;
    let peak = 0;
    const activities = mockActivities(plan, async (input) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 50));
      running--;
      return succeeded(input.identity.stageId);
    });
    const report = await runWith(activities, (tq) =>
      start(tq, { pipeline: 'test', logicalDate: '2026-01-15' }).then((h) => h.result()),
    );
    expect(report.stages.every((s) => s.status === 'succeeded')).toBe(true);
    expect(peak).toBe(2);
  });

  it('upserts its search attributes at most once per workflow task, with the values the task ends with', async () => {
    // Four stages start in the first task: planned, then four starts, each a new MedallionStage.
    const plan = glueOnlyPlan(
      Array.from({ length: 6 }, (_, i) => ({ id: `s${i}` })),
      { maxConcurrent: 4 },
    );
    const activities = mockActivities(plan, (input) => Promise.resolve(succeeded(input.identity.stageId)));
    const handle = await runWith(activities, async (tq) => {
      const h = await start(tq, { pipeline: 'test', logicalDate: '2026-01-15' });
      await h.result();
      return h;
    });
    const { EventType } = temporal.api.enums.v1;
    const upsertsPerTask: number[] = [0];
    for (const event of (await handle.fetchHistory()).events ?? []) {
      if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) upsertsPerTask.push(0);
      if (event.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
        upsertsPerTask[upsertsPerTask.length - 1]!++;
    }
    expect(upsertsPerTask.reduce((a, b) => a + b, 0)).toBeGreaterThan(1);
    expect(Math.max(...upsertsPerTask)).toBe(1);
    const attributes = (await handle.describe()).typedSearchAttributes;
    expect(attributes.get(searchAttributeKeys.status)).toBe('succeeded');
    expect(attributes.get(searchAttributeKeys.stage)).toBeUndefined();
  });

  it('cancelling the run cancels the running stage activities and waits for them to stop', async () => {
    const plan = glueOnlyPlan([{ id: 'long_a' }, { id: 'long_b' }, { id: 'after', dependsOn: ['long_a'] }]);
    const cancelled: string[] = [];
    const started: string[] = [];
    const activities = mockActivities(plan, async (input) => {
      started.push(input.identity.stageId);
      try {
        for (;;) {
          Context.current().heartbeat({ awsRunId: 'x', awsState: 'RUNNING' });
          await Context.current().sleep(100);
        }
      } catch (error) {
        if (error instanceof CancelledFailure) cancelled.push(input.identity.stageId);
        throw error;
      }
    });
    const failure = await runWith(activities, async (tq) => {
      const handle = await start(tq, { pipeline: 'test', logicalDate: '2026-01-15' });
      while (started.length < 2) await new Promise((r) => setTimeout(r, 50));
      await handle.cancel();
      const progress = await handle.result().catch((e: unknown) => e);
      return { progress, report: await handle.query(progressQuery) };
    });
    expect(failure.progress).toBeInstanceOf(WorkflowFailedError);
    expect((failure.progress as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(cancelled.sort()).toEqual(['long_a', 'long_b']);
    expect(failure.report.status).toBe('cancelled');
    expect(failure.report.stages.find((s) => s.id === 'after')!.status).not.toBe('succeeded');
  });

  it('hands the scheduled start time to planning when started by a schedule', async () => {
    const plan = glueOnlyPlan([{ id: 'only' }], { logicalDate: '2026-03-28' });
    const activities = mockActivities(plan, (input) => Promise.resolve(succeeded(input.identity.stageId)));
    const scheduledAt = new Date('2026-03-29T01:00:00Z');
    const report = await runWith(activities, (tq) =>
      start(
        tq,
        { pipeline: 'test' },
        { typedSearchAttributes: [{ key: scheduledStartTimeKey, value: scheduledAt }] },
      ).then((h) => h.result()),
    );
    expect(activities.calls.planRequests[0]).toMatchObject({
      scheduledStartTime: scheduledAt.toISOString(),
      rerun: false,
    });
    expect(report.logicalDate).toBe('2026-03-28');
  });

  it('a run with backfill lanes but no backfill waits for nothing: it merges by itself', async () => {
    const plan = glueOnlyPlan([{ id: 'silver' }, { id: 'merge', dependsOn: ['silver'] }]);
    plan.stages[1]!.kind = 'scd2';
    const ran: string[] = [];
    const activities = mockActivities(plan, (input) => {
      ran.push(input.identity.stageId);
      return Promise.resolve(succeeded(input.identity.stageId));
    });
    const { report, status } = await runWith(activities, async (tq) => {
      // As "Start workflow like this one" on a backfill's run would: the lanes field, no backfill.
      const handle = await start(tq, {
        pipeline: 'test',
        logicalDate: '2026-01-15',
        backfillLanes: ['ingest', 'dimension'],
      });
      const report = await handle.result();
      return {
        report,
        status: (await handle.describe()).typedSearchAttributes.get(searchAttributeKeys.status),
      };
    });
    expect(ran).toEqual(['silver', 'merge']);
    expect(report.stages.map((s) => `${s.id} ${s.status}`)).toEqual(['silver succeeded', 'merge succeeded']);
    expect(report.status).toBe('succeeded');
    expect(status).toBe('succeeded');
  });

  it('rejects bad input before planning, non-retryably, naming the field', async () => {
    const plan: Plan = glueOnlyPlan([{ id: 'x' }]);
    const activities = mockActivities(plan, () => Promise.reject(new Error('must not run')));
    const error = await runWith(activities, (tq) =>
      start(tq, { pipeline: 'test', logicalDate: '2026-02-30' })
        .then((h) => h.result())
        .catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.nonRetryable).toBe(true);
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toMatch(/logicalDate.*YYYY-MM-DD/);
    expect(activities.calls.planRequests).toHaveLength(0);
    // Filterable: MedallionStatus = "rejected".
    const description = await env.client.workflow.getHandle(`wf-${counter}-2026-02-30`).describe();
    expect(description.typedSearchAttributes.get(searchAttributeKeys.status)).toBe('rejected');
    expect(description.typedSearchAttributes.get(searchAttributeKeys.pipeline)).toBe('test');
  });
});

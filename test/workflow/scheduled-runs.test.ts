/**
 * Runs started by the schedule on the dev server: backfill and trigger, with the production workflow
 * bundle and MOCKED activities. planDailyRun resolves the logical date the way the real activity does
 * (core/dates.ts logicalDateForScheduledTime over the request's scheduledStartTime), and records
 * every request so the test sees what the workflow derived from TemporalScheduledStartTime.
 */
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanDailyRunRequest } from '../../core/activity-contracts';
import { localDate, logicalDateForScheduledTime } from '../../core/dates';
import { scheduledStartTimeKey } from '../../core/search-attributes';
import { backfillSchedule } from '../../schedules/backfill';
import { unpauseSchedule } from '../../schedules/operations';
import { runsOfDates } from '../../schedules/dates-already-run';
import { triggerSchedule } from '../../schedules/operations';
import { reconcileSchedules } from '../../schedules/reconcile';
import { loadScheduleDefinitions } from '../../schedules/schedule-definition';
import { mockActivities, succeeded } from '../support/mock-activities';
import { glueOnlyPlan } from '../support/plans';
import { devServerEnv } from '../../local/temporal-servers';
import { productionWorkflowBundle } from '../../local/workflow-bundle-cache';

const ZONE = 'Europe/Berlin';
/** planDailyRun fails these logical dates (non-retryably, like a refused plan). */
const FAILING_DATES = new Set(['2026-05-02', '2026-06-01']);
const taskQueue = 'scheduled-runs';

let env: TestWorkflowEnvironment;
let client: Client;
let worker: Worker;
let workerRun: Promise<void>;
const planRequests: PlanDailyRunRequest[] = [];
/** [logical date, stage start ms, stage end ms] per run, in the order the stages ran. */
const stageSpans: [string, number, number][] = [];

beforeAll(async () => {
  env = await devServerEnv();
  client = env.client;
  const activities = mockActivities(glueOnlyPlan([{ id: 'silver_orders' }]), async (input) => {
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 400));
    stageSpans.push([input.identity.logicalDate, started, Date.now()]);
    return succeeded(input.identity.stageId);
  });
  activities.planDailyRun = (request) => {
    planRequests.push(request);
    const logicalDate =
      request.logicalDate ?? logicalDateForScheduledTime(new Date(request.scheduledStartTime!), ZONE);
    if (FAILING_DATES.has(logicalDate))
      return Promise.reject(
        ApplicationFailure.nonRetryable(`planning ${logicalDate} failed`, 'InvalidInput'),
      );
    return Promise.resolve({ ...glueOnlyPlan([{ id: 'silver_orders' }], { logicalDate }), pipeline: 'shop' });
  };
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await productionWorkflowBundle(),
    activities,
  });
  workerRun = worker.run();
  const definitions = loadScheduleDefinitions(
    // Jitter on purpose: runs must still carry the nominal slot, so the logical date does not move.
    [{ pipeline: 'shop', cron: '0 3 * * *', jitter: '3s' }],
    { shop: { name: 'shop', timeZone: ZONE } },
  );
  await reconcileSchedules(client, definitions, { taskQueue, dryRun: false });
});

afterAll(async () => {
  if (worker) {
    worker.shutdown();
    await workerRun;
  }
  await env?.teardown();
});

/** Waits until a workflow with this id exists (buffered starts come later) and returns its result. */
async function resultOf(workflowId: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.workflow.getHandle(workflowId).result();
      return;
    } catch (error) {
      if (Date.now() > deadline || !/not found/i.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function waitForVisibleRuns(from: string, to: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await runsOfDates(client, 'shop', from, to)).length < count) {
    if (Date.now() > deadline) throw new Error(`visibility never showed ${count} runs of ${from}..${to}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('runs started by the shop schedule', () => {
  it('a backfill of 3 days starts 3 dailyPipeline runs, one after another, for the 3 right logical dates', async () => {
    const started = Date.now();
    const { slots } = await backfillSchedule(client, 'shop', { from: '2026-03-27', to: '2026-03-29' });
    // Across the Berlin spring change: 03:00 is 02:00Z in CET, 01:00Z in CEST.
    const expectedSlots = [
      '2026-03-28T02:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T01:00:00.000Z',
    ];
    expect(slots.map((s) => s.at.toISOString())).toEqual(expectedSlots);

    const workflowIds = expectedSlots.map((at) => `shop/scheduled-${at.replace('.000Z', 'Z')}`);
    for (const id of workflowIds) await resultOf(id);

    const scheduledRequests = planRequests.filter((r) => r.scheduledStartTime !== undefined);
    expect(scheduledRequests.map((r) => r.scheduledStartTime).sort()).toEqual(expectedSlots);
    // The schedule passes { pipeline } only; the date comes from TemporalScheduledStartTime.
    expect(scheduledRequests.every((r) => r.logicalDate === undefined && r.pipeline === 'shop')).toBe(true);
    expect(
      scheduledRequests.map((r) => logicalDateForScheduledTime(new Date(r.scheduledStartTime!), ZONE)).sort(),
    ).toEqual(['2026-03-27', '2026-03-28', '2026-03-29']);
    for (const [i, id] of workflowIds.entries()) {
      const description = await client.workflow.getHandle(id).describe();
      expect(description.type).toBe('dailyPipeline');
      expect(description.typedSearchAttributes.get(scheduledStartTimeKey)?.toISOString()).toBe(
        expectedSlots[i],
      );
    }
    // BUFFER_ALL: in date order, never two at once (SCD2 merges apply dates in order).
    expect(stageSpans.map(([date]) => date)).toEqual(['2026-03-27', '2026-03-28', '2026-03-29']);
    for (let i = 1; i < stageSpans.length; i++)
      expect(stageSpans[i]![1]).toBeGreaterThanOrEqual(stageSpans[i - 1]![2]);
    console.log(`backfill of 3 days: ${Date.now() - started} ms until the third run completed`);
  });

  it('a backfill over dates that already ran, or over a slot still ahead, is refused before anything starts', async () => {
    await waitForVisibleRuns('2026-03-27', '2026-03-29', 3);
    const before = planRequests.length;
    await expect(backfillSchedule(client, 'shop', { from: '2026-03-28', to: '2026-03-31' })).rejects.toThrow(
      /already ran[\s\S]*2026-03-28: shop\/scheduled-2026-03-29T01:00:00Z \(COMPLETED\)[\s\S]*2026-03-29/,
    );
    const today = localDate(new Date(), ZONE);
    await expect(backfillSchedule(client, 'shop', { from: '2026-04-01', to: today })).rejects.toThrow(
      /still ahead/,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(planRequests.length).toBe(before);
  });

  it('trigger starts a run now for yesterday; a second trigger for the same date is refused', async () => {
    const before = Date.now();
    const { logicalDate } = await triggerSchedule(client, 'shop');
    expect(logicalDate).toBe(logicalDateForScheduledTime(new Date(), ZONE));
    const deadline = Date.now() + 20_000;
    let workflowId: string | undefined;
    while (!workflowId && Date.now() < deadline) {
      const recent = (await client.schedule.getHandle('medallion:shop').describe()).info.recentActions;
      workflowId = recent.map((a) => a.action.workflow.workflowId).find((id) => !id.includes('2026-03-'));
      if (!workflowId) await new Promise((r) => setTimeout(r, 200));
    }
    expect(workflowId).toMatch(/^shop\/scheduled-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    await resultOf(workflowId!);
    const request = planRequests.find(
      (r) => r.scheduledStartTime && Date.parse(r.scheduledStartTime) >= before - 2000,
    );
    expect(request).toBeDefined();
    expect(Date.parse(request!.scheduledStartTime!)).toBeLessThanOrEqual(Date.now());
    expect(logicalDateForScheduledTime(new Date(request!.scheduledStartTime!), ZONE)).toBe(logicalDate);

    await waitForVisibleRuns(logicalDate, logicalDate, 1);
    await expect(triggerSchedule(client, 'shop')).rejects.toThrow(
      new RegExp(`already ran[\\s\\S]*${logicalDate}`),
    );
  });

  const plannedDates = () =>
    planRequests
      .filter((r) => r.scheduledStartTime)
      .map((r) => logicalDateForScheduledTime(new Date(r.scheduledStartTime!), ZONE));

  it('one date at a time (the CLI default) stops at the first failed date: later dates never start', async () => {
    const lines: string[] = [];
    const result = await backfillSchedule(
      client,
      'shop',
      { from: '2026-05-01', to: '2026-05-03' },
      { oneAtATime: true, say: (line) => lines.push(line) },
    );
    expect(result.stopped).toEqual({
      logicalDate: '2026-05-02',
      workflowId: 'shop/scheduled-2026-05-03T01:00:00Z',
      status: 'FAILED',
      notStarted: ['2026-05-03'],
    });
    expect(lines).toEqual([
      'medallion:shop: 3 date(s), one at a time, stopping at the first failure:',
      '  2026-05-01  shop/scheduled-2026-05-02T01:00:00Z ...',
      '  2026-05-01  COMPLETED',
      '  2026-05-02  shop/scheduled-2026-05-03T01:00:00Z ...',
      '  2026-05-02  FAILED',
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(plannedDates().filter((d) => d.startsWith('2026-05'))).toEqual(['2026-05-01', '2026-05-02']);
    // The scheduler pauses once it sees the failure (asynchronously).
    const deadline = Date.now() + 10_000;
    let state = (await client.schedule.getHandle('medallion:shop').describe()).state;
    while (!state.paused && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      state = (await client.schedule.getHandle('medallion:shop').describe()).state;
    }
    expect(state.paused).toBe(true);
    expect(state.note).toMatch(/paused due to workflow failure/);
    await unpauseSchedule(client, 'shop', 'test: fixed');
  });

  it('queued all at once, a failed date pauses the schedule yet the dates queued after it still run (why the CLI defaults to one at a time)', async () => {
    const result = await backfillSchedule(client, 'shop', { from: '2026-06-01', to: '2026-06-03' });
    expect(result.stopped).toBeUndefined();
    for (const at of ['2026-06-02T01:00:00Z', '2026-06-03T01:00:00Z', '2026-06-04T01:00:00Z'])
      await resultOf(`shop/scheduled-${at}`).catch(() => undefined);
    expect(plannedDates().filter((d) => d.startsWith('2026-06'))).toEqual([
      '2026-06-01',
      '2026-06-02',
      '2026-06-03',
    ]);
    expect((await client.schedule.getHandle('medallion:shop').describe()).state.paused).toBe(true);
  });
});

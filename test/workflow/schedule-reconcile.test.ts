/**
 * The reconcile and the pause/unpause operations on the Temporal dev server (the Java test server has
 * no schedule RPCs). No worker: nothing here needs a run to start.
 */
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillSchedule } from '../../schedules/backfill';
import { pauseSchedule, triggerSchedule, unpauseSchedule } from '../../schedules/operations';
import { reconcileSchedules } from '../../schedules/reconcile';
import { loadScheduleDefinitions, type ScheduleDefinitionInput } from '../../schedules/schedule-definition';
import { devServerEnv } from '../../local/temporal-servers';

const pipelines = {
  shop: { name: 'shop', timeZone: 'Europe/Berlin' },
  web: { name: 'web', timeZone: 'UTC' },
  crm: { name: 'crm', timeZone: 'UTC' },
};
const taskQueue = 'medallion-test';
const shop: ScheduleDefinitionInput = { pipeline: 'shop', cron: '0 3 * * *', note: 'shop daily' };
const web: ScheduleDefinitionInput = { pipeline: 'web', calendar: { hour: 1, minute: 15 }, jitter: '30s' };

let env: TestWorkflowEnvironment;
let client: Client;

function apply(inputs: ScheduleDefinitionInput[], dryRun = false) {
  const definitions = loadScheduleDefinitions(inputs, pipelines, { checkFrom: '2026-01-01' });
  return reconcileSchedules(client, definitions, { taskQueue, dryRun });
}

async function exists(scheduleId: string): Promise<boolean> {
  return client.schedule
    .getHandle(scheduleId)
    .describe()
    .then(
      () => true,
      () => false,
    );
}

async function listedIds(): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of client.schedule.list()) ids.push(s.scheduleId);
  return ids.sort();
}

/** Schedule listing is eventually consistent: wait until it shows exactly these ids. */
async function waitForListing(expected: string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  let ids: string[] = [];
  while (Date.now() < deadline) {
    ids = await listedIds();
    if (JSON.stringify(ids) === JSON.stringify([...expected].sort())) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`schedule list shows ${ids.join(', ')}; expected ${expected.join(', ')}`);
}

const FOREIGN_ACTION = { type: 'startWorkflow', workflowType: 'report', taskQueue: 'other' } as const;

beforeAll(async () => {
  env = await devServerEnv();
  client = env.client;
  // Someone else's schedules in the same namespace: one plainly foreign, one squatting on our prefix.
  await client.schedule.create({
    scheduleId: 'nightly-report',
    spec: { cronExpressions: ['0 5 * * *'] },
    action: FOREIGN_ACTION,
  });
  await client.schedule.create({
    scheduleId: 'medallion:imposter',
    spec: { cronExpressions: ['0 6 * * *'] },
    action: FOREIGN_ACTION,
  });
  await waitForListing(['medallion:imposter', 'nightly-report']);
});

afterAll(async () => {
  await env?.teardown();
});

describe('schedules reconcile on the dev server', () => {
  it('dry-run shows the creates and changes nothing; apply creates; a second apply finds nothing to do', async () => {
    const dry = await apply([shop, web], true);
    expect(dry.lines).toEqual([
      '+ medallion:shop: 03:00 daily Europe/Berlin, starts dailyPipeline {"pipeline":"shop"} on task queue medallion-test (overlap BUFFER_ONE, catchup 1d, jitter 0s, pause on failure true)',
      '+ medallion:web: 01:15 daily UTC, starts dailyPipeline {"pipeline":"web"} on task queue medallion-test (overlap BUFFER_ONE, catchup 1d, jitter 30s, pause on failure true)',
      "  left alone (not medallion's): medallion:imposter, nightly-report",
    ]);
    expect(await exists('medallion:shop')).toBe(false);

    await apply([shop, web]);
    const described = await client.schedule.getHandle('medallion:shop').describe();
    expect(described.spec.timezone).toBe('Europe/Berlin');
    expect(described.spec.calendars).toHaveLength(1);
    expect(described.spec.calendars![0]).toMatchObject({
      hour: [{ start: 3, end: 3 }],
      minute: [{ start: 0, end: 0 }],
      second: [{ start: 0, end: 0 }],
    });
    expect(described.action).toMatchObject({
      workflowType: 'dailyPipeline',
      taskQueue,
      workflowId: 'shop/scheduled',
      args: [{ pipeline: 'shop' }],
    });
    expect(described.policies).toEqual({
      overlap: 'BUFFER_ONE',
      catchupWindow: 86_400_000,
      pauseOnFailure: true,
    });
    expect(described.memo).toEqual({ medallion: { managedBy: 'medallion', pipeline: 'shop' } });
    expect(described.state).toMatchObject({ paused: false, note: 'shop daily' });
    expect(described.typedSearchAttributes.getAll()).toEqual([
      { key: expect.objectContaining({ name: 'MedallionPipeline' }), value: 'shop' },
    ]);
    expect(described.info.nextActionTimes[0]!.getUTCHours()).toBeOneOf([1, 2]); // 03:00 Berlin (CEST or CET)

    // What the server describes reads back as exactly what the code says.
    const again = await apply([shop, web], true);
    expect(again.lines).toEqual([
      '= medallion:shop: unchanged',
      '= medallion:web: unchanged',
      "  left alone (not medallion's): medallion:imposter, nightly-report",
      '  nothing to change',
    ]);
  });

  it('a changed spec updates only the changed fields', async () => {
    const changed: ScheduleDefinitionInput = {
      ...shop,
      cron: '0 4 * * MON-FRI',
      overlap: 'SKIP',
      jitter: '1m',
    };
    const dry = await apply([changed, web], true);
    expect(dry.lines.filter((l) => !l.startsWith('  '))).toEqual([
      '~ medallion:shop spec: 03:00 daily -> 04:00 Mon-Fri',
      '~ medallion:shop jitter: 0s -> 1m',
      '~ medallion:shop overlap: BUFFER_ONE -> SKIP',
      '= medallion:web: unchanged',
    ]);
    expect((await client.schedule.getHandle('medallion:shop').describe()).policies.overlap).toBe(
      'BUFFER_ONE',
    );

    await apply([changed, web]);
    const described = await client.schedule.getHandle('medallion:shop').describe();
    expect(described.policies.overlap).toBe('SKIP');
    expect(described.spec.jitter).toBe(60_000);
    expect(described.spec.calendars![0]!.hour).toEqual([{ start: 4, end: 4, step: 1 }]);
    expect(described.spec.calendars![0]!.dayOfWeek).toEqual([{ start: 'MONDAY', end: 'FRIDAY', step: 1 }]);
    // Memo (ownership) survives an update.
    expect(described.memo).toEqual({ medallion: { managedBy: 'medallion', pipeline: 'shop' } });
    expect((await apply([changed, web], true)).lines).toContain('  nothing to change');
    await apply([shop, web]);
  });

  it('a schedule removed from the code is deleted; foreign schedules are left alone', async () => {
    await waitForListing(['medallion:imposter', 'medallion:shop', 'medallion:web', 'nightly-report']);
    const dry = await apply([shop], true);
    expect(dry.lines).toEqual([
      '= medallion:shop: unchanged',
      '- medallion:web: pipeline web no longer declares a schedule',
      "  left alone (not medallion's): medallion:imposter, nightly-report",
    ]);
    expect(await exists('medallion:web')).toBe(true);

    await apply([shop]);
    expect(await exists('medallion:web')).toBe(false);
    expect(await exists('medallion:shop')).toBe(true);
    const report = await client.schedule.getHandle('nightly-report').describe();
    expect(report.action.workflowType).toBe('report');
    expect(report.state.paused).toBe(false);
    const imposter = await client.schedule.getHandle('medallion:imposter').describe();
    expect(imposter.spec.calendars![0]!.hour).toEqual([{ start: 6, end: 6, step: 1 }]);
    await waitForListing(['medallion:imposter', 'medallion:shop', 'nightly-report']);
  });

  it('refuses, before changing anything, to take over a declared id that someone else owns', async () => {
    await client.schedule.create({
      scheduleId: 'medallion:crm',
      spec: { cronExpressions: ['0 7 * * *'] },
      action: FOREIGN_ACTION,
    });
    const changedShop = { ...shop, cron: '0 5 * * *' };
    await expect(apply([changedShop, { pipeline: 'crm', cron: '0 3 * * *' }])).rejects.toThrow(
      /medallion:crm exist but were not created by medallion/,
    );
    const shopNow = await client.schedule.getHandle('medallion:shop').describe();
    expect(shopNow.spec.calendars![0]!.hour).toEqual([{ start: 3, end: 3, step: 1 }]);
    const crm = await client.schedule.getHandle('medallion:crm').describe();
    expect(crm.action.workflowType).toBe('report');
  });

  it('pause and unpause with notes; apply never resumes a paused schedule nor overwrites its reason', async () => {
    expect(await pauseSchedule(client, 'shop', 'incident 42: bad source data')).toBe('medallion:shop');
    let described = await client.schedule.getHandle('medallion:shop').describe();
    expect(described.state).toMatchObject({ paused: true, note: 'incident 42: bad source data' });

    const dry = await apply([{ ...shop, note: 'new note', catchupWindow: '2 days' }], true);
    expect(dry.lines.filter((l) => l.startsWith('~') || l.startsWith('='))).toEqual([
      '~ medallion:shop catchupWindow: 1d -> 2d',
    ]);
    await apply([{ ...shop, note: 'new note', catchupWindow: '2 days' }]);
    described = await client.schedule.getHandle('medallion:shop').describe();
    expect(described.state).toMatchObject({ paused: true, note: 'incident 42: bad source data' });
    expect(described.policies.catchupWindow).toBe(2 * 86_400_000);
    expect((await apply([{ ...shop, note: 'new note', catchupWindow: '2 days' }], true)).lines[0]).toBe(
      '= medallion:shop: unchanged (paused: incident 42: bad source data; apply keeps it paused)',
    );

    expect(await unpauseSchedule(client, 'medallion:shop', 'fixed')).toBe('medallion:shop');
    described = await client.schedule.getHandle('medallion:shop').describe();
    expect(described.state).toMatchObject({ paused: false, note: 'fixed' });
    // Once running again, the note in the code wins.
    const after = await apply([{ ...shop, note: 'new note', catchupWindow: '2 days' }], true);
    expect(after.lines[0]).toBe('~ medallion:shop note: fixed -> new note');
  });

  it('will not pause or unpause a schedule medallion does not own, nor a missing one', async () => {
    await expect(pauseSchedule(client, 'nightly-report', 'x')).rejects.toThrow(/not created by medallion/);
    await expect(pauseSchedule(client, 'medallion:imposter', 'x')).rejects.toThrow(
      /not created by medallion/,
    );
    await expect(unpauseSchedule(client, 'nope', 'x')).rejects.toThrow(
      /no schedule medallion:nope: `medallion schedules apply`/,
    );
    expect((await client.schedule.getHandle('nightly-report').describe()).state.paused).toBe(false);
  });

  it('trigger refuses while a run of the schedule is in progress (it would wait behind it or be dropped)', async () => {
    // No worker polls this task queue: the backfilled run stays running.
    await backfillSchedule(client, 'shop', { from: '2026-02-10', to: '2026-02-10' });
    const deadline = Date.now() + 10_000;
    while ((await client.schedule.getHandle('medallion:shop').describe()).info.runningActions.length === 0) {
      if (Date.now() > deadline) throw new Error('the backfilled run never showed as running');
      await new Promise((r) => setTimeout(r, 100));
    }
    await expect(triggerSchedule(client, 'shop')).rejects.toThrow(
      /medallion:shop has a run in progress \(shop\/scheduled-2026-02-11T02:00:00Z\)/,
    );
  });
});

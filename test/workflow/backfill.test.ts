import path from 'node:path';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackfillInput } from '../../core/backfill-contracts';
import type { BackfillProgress } from '../../core/backfill-report';
import { addDays, dateRange } from '../../core/dates';
import type { DailyRunReport } from '../../core/run-report';
import type { StageInput } from '../../core/stage-io';
import { dailyPipeline, progressQuery } from '../../workflows';
import {
  backfill,
  backfillProgressQuery,
  cancelBackfillSignal,
  pauseBackfillSignal,
  resumeBackfillSignal,
} from '../../workflows/backfill';
import {
  BackfillFailedError,
  backfillInputFrom,
  followBackfill,
  startBackfill as startFromCli,
} from '../../cli/commands/backfill';
import { timeSkippingEnv } from '../../local/temporal-servers';
import {
  backfillTestActivities,
  cdcStageIds,
  holdStagesUntilReleased,
  pause,
  scd2StageIds,
  shopStageIds,
  StageLog,
} from '../support/backfill-harness';
import { MemoryRunState } from '../support/memory-run-state';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let counter = 0;

beforeAll(async () => {
  [env, bundle] = await Promise.all([
    timeSkippingEnv(),
    bundleWorkflowCode({
      workflowsPath: path.resolve(__dirname, '../../workflows/index.ts'),
      logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
    }),
  ]);
});

afterAll(async () => {
  await env?.teardown();
});

type Activities = ReturnType<typeof backfillTestActivities>;

async function runWith<T>(activities: Activities, body: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `backfill-${++counter}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities,
    maxHeartbeatThrottleInterval: '10ms',
  });
  return worker.runUntil(body(taskQueue));
}

function startBackfill(taskQueue: string, input: BackfillInput | Record<string, unknown>) {
  return env.client.workflow.start(backfill, {
    args: [input as BackfillInput],
    taskQueue,
    workflowId: `backfill-test-${counter}-${Math.random().toString(36).slice(2, 8)}`,
  });
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => new Error('expected the backfill to fail'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(25);
  }
}

/** Stage behaviour that fails the stages `matches` picks, non-retryably, until `heal()`. */
function failingUntilHealed(matches: (input: StageInput) => boolean, message: string) {
  let broken = true;
  return {
    behaviour: async (input: StageInput) => {
      await pause(5);
      if (broken && matches(input)) throw ApplicationFailure.nonRetryable(message, 'AwsJobFailed');
    },
    heal: () => {
      broken = false;
    },
  };
}

const statusOf = (progress: BackfillProgress) =>
  Object.fromEntries(progress.dates.map((d) => [d.date, d.status]));

describe('backfill input', () => {
  it('rejects each bad field non-retryably, naming it, before any run or read', async () => {
    const store = new MemoryRunState();
    const log = new StageLog();
    const activities = backfillTestActivities(store, log);
    const valid = { pipeline: 'shop', from: '2025-01-01', to: '2025-01-03' };
    const today = new Date(await env.currentTimeMs()).toISOString().slice(0, 10);
    const cases: [object | string, string, RegExp][] = [
      // First: each failed run makes the test server skip its clock years ahead.
      [{ ...valid, from: addDays(today, -3), to: today }, 'to', /has not ended yet in Europe\/Berlin/],
      ['shop', '(input)', /one JSON object/],
      [{ ...valid, colour: 'red' }, 'colour', /unknown field/],
      [{ ...valid, pipeline: 'Shop!' }, 'pipeline', /pipeline name/],
      [{ ...valid, from: '2025-02-30' }, 'from', /YYYY-MM-DD/],
      [{ ...valid, to: 'yesterday' }, 'to', /YYYY-MM-DD/],
      [{ ...valid, from: '2025-01-05' }, 'from', /after "to"/],
      [{ ...valid, from: '2024-01-01', to: '2025-01-02' }, 'to', /at most 366/],
      [{ ...valid, only: 'some' }, 'only', /"missing", "failed", "all"/],
      [{ ...valid, order: 'random' }, 'order', /"oldest", "newest"/],
      [{ ...valid, maxConcurrent: 0 }, 'maxConcurrent', /from 1 to 32/],
      [{ ...valid, maxConcurrent: 2.5 }, 'maxConcurrent', /whole number/],
      [{ ...valid, maxConcurrent: 33 }, 'maxConcurrent', /from 1 to 32/],
      [{ ...valid, maxDatesPerMerge: 0 }, 'maxDatesPerMerge', /from 1 to 10 \(default 10\)/],
      [{ ...valid, maxDatesPerMerge: 31 }, 'maxDatesPerMerge', /from 1 to 10.*at most 40 statements/],
      [{ ...valid, maxDatesPerMerge: 1.5 }, 'maxDatesPerMerge', /whole number/],
      [{ ...valid, dryRun: 'yes' }, 'dryRun', /true or false/],
      [{ ...valid, pipeline: 'nope' }, 'pipeline', /unknown pipeline "nope"; known: shop/],
    ];
    // One after the other: the Java test server times out task completions when many fail at once.
    const failures = await runWith(activities, async (tq) => {
      const results: ApplicationFailure[] = [];
      for (const [input] of cases) {
        results.push(await failureOf(startBackfill(tq, input as BackfillInput).then((h) => h.result())));
      }
      return results;
    });
    failures.forEach((failure, i) => {
      const [, field, message] = cases[i]!;
      expect(failure.type, field).toBe('InvalidInput');
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain(`"${field}"`);
      expect(failure.message).toMatch(message);
    });
    expect(log.calls).toHaveLength(0);
    expect(store.reads).toBe(0);
  });
});

describe('backfill in the time-skipping environment', () => {
  const succeededDate = '2025-02-01';
  const failedDate = '2025-02-02';
  const newDate = '2025-02-03';
  const failedDone = shopStageIds.filter((id) => id.startsWith('ingest') || id === 'silver_customers');
  const seeded = () => {
    const store = new MemoryRunState();
    store.seed('shop', succeededDate, shopStageIds);
    store.seed('shop', failedDate, failedDone);
    return store;
  };

  it('dry run: says which dates it would run and why, and starts nothing', async () => {
    const store = seeded();
    const log = new StageLog();
    const range = { pipeline: 'shop', from: succeededDate, to: newDate, dryRun: true };
    // One after the other: concurrent result() calls make the Java test server stall task completions.
    const reports = await runWith(backfillTestActivities(store, log), async (tq) => {
      const results: BackfillProgress[] = [];
      for (const only of ['missing', 'failed', 'all'] as const) {
        results.push(await startBackfill(tq, { ...range, only }).then((h) => h.result()));
      }
      return results;
    });
    const view = reports.map((r) => r.dates.map((d) => [d.date, d.status, d.rerun, d.reason]));
    expect(reports.every((r) => r.status === 'dry-run')).toBe(true);
    expect(view[0]).toEqual([
      [succeededDate, 'skipped', true, 'already succeeded'],
      [
        failedDate,
        'queued',
        true,
        expect.stringMatching(/^last run did not finish: 10 of 13 stages not done/),
      ],
      [newDate, 'queued', false, 'never ran'],
    ]);
    expect(view[1]!.map((d) => d[1])).toEqual(['skipped', 'queued', 'skipped']);
    expect(view[1]![2]![3]).toMatch(/never ran \(only: failed reruns failed dates/);
    expect(view[2]!.map((d) => [d[1], d[2]])).toEqual([
      ['queued', true],
      ['queued', true],
      ['queued', false],
    ]);
    expect(log.calls).toHaveLength(0);
    expect(store.marked).toHaveLength(0);
  });

  it('only missing: skips the succeeded date, reruns the failed one without redoing its done stages', async () => {
    const store = seeded();
    const log = new StageLog();
    const report = await runWith(backfillTestActivities(store, log), (tq) =>
      startBackfill(tq, { pipeline: 'shop', from: succeededDate, to: newDate }).then((h) => h.result()),
    );
    expect(statusOf(report)).toEqual({
      [succeededDate]: 'skipped',
      [failedDate]: 'succeeded',
      [newDate]: 'succeeded',
    });
    expect(log.calls.filter((c) => c.date === succeededDate)).toHaveLength(0);
    for (const id of shopStageIds) {
      expect(log.count(failedDate, id), `${failedDate} ${id}`).toBe(failedDone.includes(id) ? 0 : 1);
      expect(log.count(newDate, id), `${newDate} ${id}`).toBe(1);
    }
    expect(report.counts).toMatchObject({ total: 3, done: 2, skipped: 1, failed: 0, left: 0, running: 0 });
  });

  it('only all: reruns every stage of every date, succeeded ones included', async () => {
    const store = seeded();
    const log = new StageLog();
    const report = await runWith(backfillTestActivities(store, log), (tq) =>
      startBackfill(tq, { pipeline: 'shop', from: succeededDate, to: failedDate, only: 'all' }).then((h) =>
        h.result(),
      ),
    );
    expect(report.counts.done).toBe(2);
    for (const date of [succeededDate, failedDate]) {
      for (const id of shopStageIds) expect(log.count(date, id), `${date} ${id}`).toBe(1);
    }
  });

  it.each(['newest', 'oldest'] as const)(
    'order %s, cap 3: never more than 3 dates at once, SCD2 merges strictly in date order',
    async (order) => {
      const store = new MemoryRunState();
      const log = new StageLog();
      const dates = dateRange(
        order === 'newest' ? '2025-03-01' : '2025-04-01',
        order === 'newest' ? '2025-03-08' : '2025-04-08',
      );
      // CDC windows can only go oldest first: for newest, they landed before (the dates ran, then failed).
      if (order === 'newest') for (const date of dates) store.seed('shop', date, cdcStageIds);
      const report = await runWith(backfillTestActivities(store, log, { stageMs: 40 }), (tq) =>
        startBackfill(tq, {
          pipeline: 'shop',
          from: dates[0]!,
          to: dates.at(-1)!,
          maxConcurrent: 3,
          order,
        }).then((h) => h.result()),
      );
      expect(report.counts).toMatchObject({ total: 8, done: 8, failed: 0 });
      expect(log.peakDates).toBe(3);
      // Data phases start in the requested order...
      const expectedFirst = order === 'newest' ? [...dates].reverse().slice(0, 3) : dates.slice(0, 3);
      expect(log.firstStarts().slice(0, 3).sort()).toEqual([...expectedFirst].sort());
      // ...CDC windows, when they run, one at a time, oldest first...
      expect(log.datesOf('ingest_oltp')).toEqual(order === 'newest' ? [] : dates);
      expect(log.peakCdcWindows).toBe(order === 'newest' ? 0 : 1);
      // ...and a date's runs (windows, data phase, merges) share one generation: the first of a
      // never-run date, the next one of a date that ran before.
      expect(new Set(log.calls.map((c) => c.generation))).toEqual(new Set([order === 'newest' ? 1 : 0]));
      // ...while each dimension is merged once per date, oldest first, one transaction at a time (a
      // transaction merges one date, or several consecutive ready ones).
      for (const dimension of scd2StageIds) expect(log.datesOf(dimension), dimension).toEqual(dates);
      expect(log.peakMergesPerDimension).toBe(1);
    },
  );

  /**
   * Six dates whose CDC windows ran before (so their runs start together, cap 6): the oldest one's data
   * phase is held until the five others wait for the dimension lane, so the lane then finds all six
   * ready at once and merges them in batches of `maxDatesPerMerge` consecutive dates.
   */
  async function catchUp(
    from: string,
    maxDatesPerMerge: number,
    merge: (input: StageInput) => Promise<void> = () => pause(5),
  ) {
    const store = new MemoryRunState();
    const log = new StageLog();
    const dates = dateRange(from, addDays(from, 5));
    for (const date of dates) store.seed('shop', date, cdcStageIds);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const behaviour = async (input: StageInput) => {
      if (input.identity.logicalDate === dates[0] && input.identity.stageId === 'silver_customers') {
        await released;
      }
      if (input.kind === 'redshift' && scd2StageIds.includes(input.identity.stageId)) await merge(input);
      else await pause(5);
    };
    const outcome = await runWith(backfillTestActivities(store, log, { behaviour }), async (tq) => {
      const handle = await startBackfill(tq, {
        pipeline: 'shop',
        from: dates[0]!,
        to: dates.at(-1)!,
        maxConcurrent: 6,
        maxDatesPerMerge,
      });
      await until(
        () => handle.query(backfillProgressQuery).then((p) => p.counts.awaitingMerge === 5),
        'five dates waiting for the dimension lane',
      );
      const waiting = await env.client.workflow.getHandle(`shop/${dates[3]}`).query(progressQuery);
      release();
      const result = await handle.result().then(
        (report) => ({ report, failure: undefined }),
        (error: unknown) => ({ report: undefined, failure: error }),
      );
      const history = await handle.fetchHistory();
      const runs = await Promise.all(
        dates.map((date) =>
          env.client.workflow
            .getHandle<typeof dailyPipeline>(`shop/${date}`)
            .result()
            .then(
              (report): DailyRunReport | ApplicationFailure => report,
              (error: unknown) => (error as WorkflowFailedError).cause as ApplicationFailure,
            ),
        ),
      );
      return { ...result, history, runs, waiting };
    });
    const started = (outcome.history.events ?? []).flatMap((e) => {
      const id = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
      return id ? [id] : [];
    });
    return { ...outcome, dates, log, started };
  }

  it('runs each date as ONE run with its canonical id, which waits for the dimension lane and says so', async () => {
    const { report, dates, started, waiting, runs } = await catchUp('2025-10-01', 10);
    expect(report?.counts).toMatchObject({ total: 6, done: 6 });
    expect(started).toEqual(dates.map((date) => `shop/${date}`));
    expect(waiting.status).toBe('awaiting-merge');
    expect(waiting.stages.filter((s) => s.status === 'waiting').map((s) => s.id)).toEqual(scd2StageIds);
    expect(String(waiting.stages.find((s) => s.status === 'waiting')?.details?.waitingFor)).toMatch(
      /^the dimension lane of backfill-test-.*: earlier dates merge first/,
    );
    for (const run of runs) expect((run as DailyRunReport).status).toBe('succeeded');
  });

  it.each([
    [10, [[0, 1, 2, 3, 4, 5]]],
    [
      2,
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
    ],
    [1, [[0], [1], [2], [3], [4], [5]]],
  ])(
    'catch-up merges: maxDatesPerMerge %i merges the ready consecutive dates in batches %j',
    async (maxDatesPerMerge, batches) => {
      const from = { 10: '2025-10-11', 2: '2025-10-21', 1: '2025-11-01' }[maxDatesPerMerge]!;
      const { report, dates, log } = await catchUp(from, maxDatesPerMerge);
      expect(report?.counts).toMatchObject({ total: 6, done: 6, failed: 0 });
      for (const dimension of scd2StageIds) {
        expect(
          log.mergeBatches.filter((b) => b.stage === dimension).map((b) => b.dates),
          dimension,
        ).toEqual(batches.map((batch) => batch.map((i) => dates[i]!)));
      }
      expect(log.peakMergesPerDimension).toBe(1);
    },
  );

  it.each([
    [10, [[0, 1, 2, 3]], 4],
    [
      2,
      [
        [0, 1],
        [2, 3],
      ],
      2,
    ],
  ])(
    "cap 1: the slot goes to the next date's data phase before a merge batch, unless %i dates (a full batch) wait: %j",
    async (maxDatesPerMerge, batches, dataPhasesBeforeFirstMerge) => {
      const store = new MemoryRunState();
      const log = new StageLog();
      const from = maxDatesPerMerge === 10 ? '2025-12-01' : '2025-12-11';
      const dates = dateRange(from, addDays(from, 3));
      const report = await runWith(backfillTestActivities(store, log), (tq) =>
        startBackfill(tq, {
          pipeline: 'shop',
          from: dates[0]!,
          to: dates.at(-1)!,
          maxConcurrent: 1,
          maxDatesPerMerge,
        }).then((h) => h.result()),
      );
      expect(report.counts).toMatchObject({ total: 4, done: 4, failed: 0 });
      expect(log.datesOf('ingest_oltp')).toEqual(dates);
      for (const dimension of scd2StageIds) {
        expect(
          log.mergeBatches.filter((b) => b.stage === dimension).map((b) => b.dates),
          dimension,
        ).toEqual(batches.map((batch) => batch.map((i) => dates[i]!)));
      }
      const firstMerge = log.calls.findIndex((c) => scd2StageIds.includes(c.stage));
      expect(
        log.calls
          .slice(0, firstMerge)
          .filter((c) => c.stage === 'silver_orders')
          .map((c) => c.date),
      ).toEqual(dates.slice(0, dataPhasesBeforeFirstMerge));
    },
  );

  it('cap 2: CDC windows take no data slot: the 3rd window runs while 2 dates hold the slots; at most 2 dates wait after theirs', async () => {
    const store = new MemoryRunState();
    const log = new StageLog();
    const dates = dateRange('2025-10-01', '2025-10-06');
    const { behaviour, release } = holdStagesUntilReleased(
      (input) => input.identity.stageId === 'silver_customers',
    );
    const outcome = await runWith(backfillTestActivities(store, log, { behaviour }), async (tq) => {
      setTimeout(release, 25_000); // never leave the worker waiting on a stage if a check below fails
      const handle = await startBackfill(tq, {
        pipeline: 'shop',
        from: dates[0]!,
        to: dates.at(-1)!,
        maxConcurrent: 2,
      });
      await until(
        () => log.datesOf('ingest_oltp').includes(dates[2]!),
        "the third date's CDC window while two dates hold the data slots",
      );
      const inDataPhase = log.calls.filter((c) => c.stage === 'silver_customers' && !c.ended);
      await until(
        async () =>
          (await handle.query(backfillProgressQuery)).dates.filter((d) => d.status === 'awaiting-slot')
            .length === 2,
        'two dates waiting for a data slot after their windows',
      );
      await pause(300);
      const held = await handle.query(backfillProgressQuery);
      const windowsWhileHeld = log.datesOf('ingest_oltp');
      const waitingRun = await env.client.workflow.getHandle(`shop/${dates[2]}`).query(progressQuery);
      const { currentDetails: details } = await handle.query<{ currentDetails?: string }>(
        '__temporal_workflow_metadata',
      );
      release();
      return { report: await handle.result(), inDataPhase, held, windowsWhileHeld, waitingRun, details };
    });
    expect(outcome.inDataPhase.map((c) => c.date).sort()).toEqual(dates.slice(0, 2));
    expect(statusOf(outcome.held)).toMatchObject({
      [dates[0]!]: 'data-phase',
      [dates[1]!]: 'data-phase',
      [dates[2]!]: 'awaiting-slot',
      [dates[3]!]: 'awaiting-slot',
      [dates[4]!]: 'queued',
    });
    // The bound: the fifth date's window waits until a waiting date gets a slot.
    expect(outcome.windowsWhileHeld).toEqual(dates.slice(0, 4));
    const silver = outcome.waitingRun.stages.find((st) => st.id === 'silver_customers')!;
    expect(silver.status).toBe('waiting');
    expect(silver.details?.waitingFor).toMatch(/^a data slot of backfill-test-/);
    // Current Details says so too: in the progress line and the dates table.
    expect(outcome.details).toContain('(2 awaiting a data slot)');
    expect(outcome.details).toContain(`| ${dates[2]} | ⏸️ awaiting-slot |`);
    expect(outcome.report.counts).toMatchObject({ total: 6, done: 6, failed: 0 });
    expect(log.peakDates).toBe(2);
    expect(log.peakCdcWindows).toBe(1);
    expect(log.datesOf('ingest_oltp')).toEqual(dates);
    for (const date of dates)
      for (const id of shopStageIds) expect(log.count(date, id), `${date} ${id}`).toBe(1);
  });

  it('a failed catch-up merge names the dates of its batch, in each of those dates and in the backfill', async () => {
    const { failure, dates, runs } = await catchUp('2025-11-11', 3, async (input) => {
      await pause(5);
      const dates = input.kind === 'redshift' ? (input.members ?? []).map((m) => m.logicalDate) : [];
      if (input.identity.stageId === 'scd2_dim_customer' && dates.includes('2025-11-11')) {
        throw ApplicationFailure.nonRetryable('statement FAILED: duplicate key', 'AwsJobFailed');
      }
    });
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    const progress = cause.details![0] as BackfillProgress;
    const batch = `${dates[0]}..${dates[2]}`;
    expect(statusOf(progress)).toEqual(Object.fromEntries(dates.map((d) => [d, 'failed'])));
    expect(progress.lanes.broken).toEqual({ scd2_dim_customer: dates[0] });
    for (const date of dates.slice(0, 3)) {
      const reason = progress.dates.find((d) => d.date === date)!.reason!;
      expect(reason).toMatch(`scd2_dim_customer: the merge of ${batch} (3 dates in one transaction) failed`);
      expect(reason).toMatch(/duplicate key/);
    }
    expect(progress.dates[3]!.reason).toMatch(`scd2_dim_customer of ${dates[0]} did not merge`);
    expect(cause.message).toMatch(
      `${dates[0]} (not done: scd2_dim_customer — scd2_dim_customer: the merge of ${batch}`,
    );
    // Each date's own run shows the batch failure on its merge stage; the other dimension merged.
    for (const run of runs.slice(0, 3)) {
      const report = (run as ApplicationFailure).details![0] as DailyRunReport;
      const merge = report.stages.find((s) => s.id === 'scd2_dim_customer')!;
      expect(merge.status).toBe('failed');
      expect(merge.error).toMatch(`the merge of ${batch} (3 dates in one transaction) failed`);
      expect(report.stages.find((s) => s.id === 'scd2_dim_product')!.status).toBe('succeeded');
    }
  });

  it('a failed merge input stops later merges of that dimension only; only failed then catches up in order', async () => {
    const store = new MemoryRunState();
    const log = new StageLog();
    const dates = dateRange('2025-09-01', '2025-09-04');
    const failing = failingUntilHealed(
      (input) => input.identity.logicalDate === dates[1] && input.identity.stageId === 'silver_customers',
      'Glue job silver_customers ended FAILED: bad row',
    );
    const activities = backfillTestActivities(store, log, { behaviour: failing.behaviour });
    const range = { pipeline: 'shop', from: dates[0]!, to: dates.at(-1)!, maxConcurrent: 2 };
    const failure = await runWith(activities, (tq) =>
      failureOf(startBackfill(tq, range).then((h) => h.result())),
    );
    expect(failure.type).toBe('BackfillFailed');
    expect(failure.message).toMatch(/3 of 4 dates failed/);
    expect(failure.message).toMatch(/run the backfill again: its default "only": "missing"/);
    const first = failure.details![0] as BackfillProgress;
    expect(statusOf(first)).toEqual({
      [dates[0]!]: 'succeeded',
      [dates[1]!]: 'failed',
      [dates[2]!]: 'failed',
      [dates[3]!]: 'failed',
    });
    expect(first.lanes.broken).toEqual({ scd2_dim_customer: dates[1] });
    expect(first.dates[1]!.reason).toBe(
      'not done: silver_customers, scd2_dim_customer — silver_customers failed: AwsJobFailed: Glue job ' +
        'silver_customers ended FAILED: bad row — scd2_dim_customer not run: silver_customers is not done',
    );
    expect(first.dates[2]!.reason).toBe(
      `not done: scd2_dim_customer — scd2_dim_customer not run: scd2_dim_customer of ${dates[1]} did not merge; later dates wait so the dimension stays in date order`,
    );
    expect(log.datesOf('scd2_dim_customer')).toEqual([dates[0]]);
    expect(log.datesOf('scd2_dim_product')).toEqual(dates);

    failing.heal();
    const second = await runWith(activities, (tq) =>
      startBackfill(tq, { ...range, only: 'failed' }).then((h) => h.result()),
    );
    expect(statusOf(second)).toEqual({
      [dates[0]!]: 'skipped',
      [dates[1]!]: 'succeeded',
      [dates[2]!]: 'succeeded',
      [dates[3]!]: 'succeeded',
    });
    expect(log.datesOf('scd2_dim_customer')).toEqual(dates);
    expect(log.datesOf('scd2_dim_product')).toEqual(dates);
    // The rerun redid only what was missing: every stage ran once per date, the failed Glue job three
    // times in the first backfill (its run and two job retries) and once in the second.
    for (const date of dates) {
      for (const id of shopStageIds) {
        const expected = date === dates[1] && id === 'silver_customers' ? 4 : 1;
        expect(log.count(date, id), `${date} ${id}`).toBe(expected);
      }
    }
  });

  it('a failed CDC window fails its date and holds back later windows; only missing then catches up in order', async () => {
    const store = new MemoryRunState();
    const log = new StageLog();
    const dates = dateRange('2025-09-11', '2025-09-16');
    const failing = failingUntilHealed(
      (input) => input.identity.logicalDate === dates[1] && input.kind === 'dms',
      'DMS shop-cdc: task failed: source unreachable',
    );
    const activities = backfillTestActivities(store, log, { behaviour: failing.behaviour });
    const range = { pipeline: 'shop', from: dates[0]!, to: dates.at(-1)!, maxConcurrent: 3 };
    const { failure, cliError } = await runWith(activities, async (tq) => {
      const handle = await startBackfill(tq, range);
      const cliError = await followBackfill(handle, { write: () => undefined }, 50).catch((e: unknown) => e);
      return { failure: await failureOf(handle.result()), cliError };
    });
    const first = failure.details![0] as BackfillProgress;
    expect(statusOf(first)).toEqual(
      Object.fromEntries(dates.map((date, i) => [date, i === 0 ? 'succeeded' : 'failed'])),
    );
    expect(first.lanes.broken).toMatchObject({ ingest_oltp: dates[1] });
    expect(first.dates[1]!.reason).toMatch(/source unreachable/);
    expect(first.dates[2]!.reason).toMatch(
      new RegExp(
        `ingest_oltp not run: ingest_oltp of ${dates[1]} did not run; CDC windows run in date order`,
      ),
    );
    // No window ran out of order: the later dates' windows never started (the failed one ran three
    // times: its run and two job retries).
    expect(log.datesOf('ingest_oltp')).toEqual([dates[0], dates[1], dates[1], dates[1]]);
    // The message names a few dates (the details have all); the CLI lists every date, then says what to do.
    expect(failure.message).toMatch(/^5 of 6 dates failed: .*; and 2 more \(every date with its reason/);
    expect(cliError).toBeInstanceOf(BackfillFailedError);
    expect((cliError as BackfillFailedError).message).toMatch(/^5 of 6 dates failed \(listed above\)/);
    expect((cliError as BackfillFailedError).progress.dates).toHaveLength(6);

    failing.heal();
    const second = await runWith(activities, (tq) =>
      startBackfill(tq, { ...range, only: 'missing' }).then((h) => h.result()),
    );
    expect(statusOf(second)).toEqual(
      Object.fromEntries(dates.map((date, i) => [date, i === 0 ? 'skipped' : 'succeeded'])),
    );
    // The first backfill's two windows, then the second's: the failed date's again and the rest.
    expect(log.datesOf('ingest_oltp')).toEqual([dates[0], dates[1], dates[1], dates[1], ...dates.slice(1)]);
    expect(log.peakCdcWindows).toBe(1);
    for (const dimension of scd2StageIds) expect(log.datesOf(dimension), dimension).toEqual(dates);
  });

  it('continues as new every few child runs and still runs every date exactly once', async () => {
    const store = new MemoryRunState();
    const log = new StageLog();
    const dates = dateRange('2025-05-01', '2025-05-07');
    const { report, chain } = await runWith(
      backfillTestActivities(store, log, { stageMs: 5 }),
      async (tq) => {
        const handle = await startBackfill(tq, {
          pipeline: 'shop',
          from: dates[0]!,
          to: dates.at(-1)!,
          maxConcurrent: 2,
          childrenPerRun: 3,
        });
        const result = await handle.result();
        const latest = await handle.describe();
        return { report: result, chain: { first: handle.firstExecutionRunId, last: latest.runId } };
      },
    );
    expect(report.counts).toMatchObject({ total: 7, done: 7 });
    // 7 child runs (one per date), 3 per workflow run: each run drains before it continues as new.
    expect(report.continuedAsNew).toBe(2);
    expect(chain.last).not.toBe(chain.first);
    for (const date of dates) {
      for (const id of shopStageIds) expect(log.count(date, id), `${date} ${id}`).toBe(1);
    }
    expect(store.marked).toHaveLength(dates.length * shopStageIds.length);
    for (const dimension of scd2StageIds) expect(log.datesOf(dimension)).toEqual(dates);
  });

  it('pause starts nothing new while running dates finish; resume goes on; progress adds up', async () => {
    const store = new MemoryRunState();
    const log = new StageLog();
    const dates = dateRange('2025-06-01', '2025-06-04');
    const { behaviour, release: gate } = holdStagesUntilReleased(
      (input) => input.identity.logicalDate === dates[0] && input.identity.stageId === 'silver_orders',
    );
    const outcome = await runWith(backfillTestActivities(store, log, { behaviour }), async (tq) => {
      const handle = await startBackfill(tq, {
        pipeline: 'shop',
        from: dates[0]!,
        to: dates.at(-1)!,
        maxConcurrent: 1,
      });
      await until(() => log.calls.some((c) => c.stage === 'silver_orders'), 'the first data phase');
      await handle.signal(pauseBackfillSignal);
      await until(async () => (await handle.query(backfillProgressQuery)).status === 'paused', 'paused');
      gate();
      await until(
        async () => (await handle.query(backfillProgressQuery)).dates[0]?.status === 'awaiting-merge',
        'the first data phase to end',
      );
      await pause(1500);
      const paused = await handle.query(backfillProgressQuery);
      const callsWhilePaused = log.calls.length;
      await handle.signal(resumeBackfillSignal);
      return { paused, callsWhilePaused, report: await handle.result() };
    });
    // Paused: the running date finished its data phase; its merges did not start, and neither did the
    // data phase of the second date, whose CDC windows ran beside the first one's data phase (they
    // need no data slot), nor anything of the later dates.
    expect(outcome.paused.status).toBe('paused');
    expect(outcome.paused.counts).toEqual({
      total: 4,
      done: 0,
      running: 1,
      awaitingMerge: 1,
      failed: 0,
      skipped: 0,
      cancelled: 0,
      left: 2,
    });
    expect(statusOf(outcome.paused)[dates[1]!]).toBe('awaiting-slot');
    expect(outcome.paused.eta?.remainingMs).toBeGreaterThan(0);
    const whilePaused = log.calls.slice(0, outcome.callsWhilePaused);
    expect(new Set(whilePaused.map((c) => c.date))).toEqual(new Set([dates[0], dates[1]]));
    expect(whilePaused.filter((c) => c.date === dates[1]).map((c) => c.stage)).toEqual(cdcStageIds);
    expect(log.calls.slice(0, outcome.callsWhilePaused).some((c) => scd2StageIds.includes(c.stage))).toBe(
      false,
    );
    expect(outcome.report.counts).toMatchObject({ total: 4, done: 4 });
  });

  it.each(['signal', 'workflow cancel'] as const)(
    'cancel (%s) stops the running daily runs, whose stage activities see it, and starts nothing more',
    async (how) => {
      const store = new MemoryRunState();
      const log = new StageLog();
      const dates = dateRange(
        how === 'signal' ? '2025-07-01' : '2025-07-11',
        how === 'signal' ? '2025-07-05' : '2025-07-15',
      );
      const cancelled: string[] = [];
      // The SaaS ingest of a data phase runs until cancelled: at the cancel, two dates' are running.
      const behaviour = async (input: StageInput) => {
        if (input.kind !== 'appflow') return pause(5);
        try {
          for (;;) {
            Context.current().heartbeat({ awsRunId: 'x', awsState: 'RUNNING' });
            await Context.current().sleep(50);
          }
        } catch (error) {
          if (error instanceof CancelledFailure) cancelled.push(input.identity.logicalDate);
          throw error;
        }
      };
      const outcome = await runWith(backfillTestActivities(store, log, { behaviour }), async (tq) => {
        const handle = await startBackfill(tq, {
          pipeline: 'shop',
          from: dates[0]!,
          to: dates.at(-1)!,
          maxConcurrent: 2,
        });
        // Cancel once only the two SaaS ingests run: the test server can lose the cancel of an
        // activity that completes at that very moment.
        await until(
          () =>
            log.calls.filter((c) => c.stage === 'ingest_crm').length === 2 &&
            log.calls.every((c) => c.ended || c.stage === 'ingest_crm'),
          'two data phases at their SaaS ingest',
        );
        await pause(300);
        let failure: unknown;
        if (how === 'signal') await handle.signal(cancelBackfillSignal);
        else await handle.cancel();
        const report = await handle.result().catch(async (error: unknown) => {
          failure = error;
          return handle.query(backfillProgressQuery);
        });
        const children = await Promise.all(
          dates.slice(0, 2).map((d) => env.client.workflow.getHandle(`shop/${d}`).describe()),
        );
        return { report, failure, children: children.map((c) => c.status.name) };
      });
      // Either way the backfill ends Cancelled (the UI's badge), not Completed.
      expect((outcome.failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      expect(outcome.report.status).toBe('cancelled');
      expect(cancelled.sort()).toEqual([dates[0], dates[1]]);
      expect(outcome.children).toEqual(['CANCELLED', 'CANCELLED']);
      expect(outcome.report.counts).toMatchObject({ total: 5, cancelled: 5, done: 0 });
      // The next two dates ran their CDC windows (no data slot needed) and waited for a slot; the
      // fifth waited for them (at most the cap of dates wait after their windows).
      expect(new Set(log.calls.map((c) => c.date))).toEqual(new Set(dates.slice(0, 4)));
      for (const date of dates.slice(2, 4)) {
        expect(log.calls.filter((c) => c.date === date).map((c) => c.stage)).toEqual(cdcStageIds);
      }
    },
  );

  it('a date that ran after the backfill read its markers is run as a rerun, not refused', async () => {
    const store = new MemoryRunState();
    const log = new StageLog();
    const date = '2025-11-01';
    const activities = backfillTestActivities(store, log);
    const plan = activities.planDailyRun;
    activities.planDailyRun = (request) => {
      // Someone runs the date between the backfill's read and its child's planning.
      if (request.logicalDate === date && !request.rerun)
        store.seed('shop', date, ['ingest_oltp', 'ingest_crm']);
      return plan(request);
    };
    const report = await runWith(activities, (tq) =>
      startBackfill(tq, { pipeline: 'shop', from: date, to: date }).then((h) => h.result()),
    );
    expect(report.counts).toMatchObject({ total: 1, done: 1 });
    expect(report.dates[0]).toMatchObject({ status: 'succeeded', reason: 'never ran' });
    expect(log.count(date, 'ingest_oltp')).toBe(0);
    expect(log.count(date, 'silver_orders')).toBe(1);
    // Generation 0 was the other run; the backfill's runs of the date are one rerun, generation 1.
    expect(
      new Set(log.calls.map((c) => `${scd2StageIds.includes(c.stage) ? 'merge' : 'data'} g${c.generation}`)),
    ).toEqual(new Set(['data g1', 'merge g1']));
  });

  it('medallion backfill: starts it under its canonical id, follows the running one, draws the progress bar', async () => {
    const store = new MemoryRunState();
    const log = new StageLog();
    const dates = dateRange('2025-10-01', '2025-10-03');
    const input = backfillInputFrom({ pipeline: 'shop', from: dates[0]!, to: dates[2]!, maxConcurrent: '2' });
    const { lines, notes, progress, id } = await runWith(backfillTestActivities(store, log), async (tq) => {
      const notes: string[] = [];
      const handle = await startFromCli(env.client, tq, input, (line) => notes.push(line));
      const again = await startFromCli(env.client, tq, input, (line) => notes.push(line));
      const lines: string[] = [];
      const progress = await followBackfill(again, { write: (text) => lines.push(text) }, 50);
      return { lines, notes, progress, id: handle.workflowId };
    });
    expect(id).toBe(`shop/backfill/${dates[0]}..${dates[2]}`);
    expect(notes).toEqual([`${id} is already running: following it (the options it was started with apply)`]);
    expect(progress.settings).toMatchObject({
      only: 'missing',
      order: 'oldest',
      maxConcurrent: 2,
      childrenPerRun: 100,
    });
    expect(lines.at(-1)).toBe(
      '[########################] 3/3 · 3 done · 0 running · 0 failed · 0 skipped · 0 left · succeeded\n',
    );
    expect(lines.length).toBeGreaterThan(1);
    expect(() =>
      backfillInputFrom({ pipeline: 'shop', from: dates[0]!, to: dates[2]!, maxConcurrent: 'four' }),
    ).toThrow(/--max-concurrent four is not a whole number/);
  });

  it('attaches to a run of a date that is already going instead of starting it twice', async () => {
    const store = new MemoryRunState();
    const log = new StageLog();
    const dates = dateRange('2025-08-01', '2025-08-02');
    const { behaviour, release: gate } = holdStagesUntilReleased(
      (input) => input.identity.logicalDate === dates[1] && input.identity.stageId === 'ingest_oltp',
    );
    const report = await runWith(backfillTestActivities(store, log, { behaviour }), async (tq) => {
      setTimeout(gate, 15_000); // never leave the worker waiting on a stage if a check below fails
      const running = await env.client.workflow.start(dailyPipeline, {
        taskQueue: tq,
        workflowId: `shop/${dates[1]}`,
        args: [{ pipeline: 'shop', logicalDate: dates[1]! }],
      });
      await until(() => log.calls.some((c) => c.date === dates[1]), 'the running date to start');
      const handle = await startBackfill(tq, { pipeline: 'shop', from: dates[0]!, to: dates[1]! });
      await until(
        async () => (await handle.query(backfillProgressQuery)).dates[1]?.status === 'ingesting',
        'the backfill to reach the running date',
      );
      await pause(300);
      gate();
      await running.result();
      return handle.result();
    });
    expect(report.counts).toMatchObject({ total: 2, done: 2 });
    expect(report.dates[1]!.attachedTo).toMatch(new RegExp(`^shop/${dates[1]} \\(run `));
    // One run of the attached date: every stage once, generation 0 (no second start, no rerun).
    for (const id of shopStageIds) expect(log.count(dates[1]!, id), id).toBe(1);
    expect(log.calls.filter((c) => c.date === dates[1]).every((c) => c.generation === 0)).toBe(true);
  });
});

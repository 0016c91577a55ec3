/**
 * A backfill of ten `shop` days started as a person starts it from the Temporal UI (workflow type by
 * name, one raw JSON object typed into the Start Workflow form, maxConcurrent 3) on the real local stack,
 * against ten sequential daily runs of the same world on another lane: one run per date, never more
 * than 3 dates in their data phase at once (measured on the stage times in the runs' own reports), yet
 * more than one, and a warehouse equal to the sequential one, table for table.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, type WorkflowExecutionInfo } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dailyRunId } from '../../core/activity-contracts';
import type { BackfillProgress } from '../../core/backfill-report';
import { addDays, dateRange } from '../../core/dates';
import type { DailyRunReport } from '../../core/run-report';
import { type TableChecksum, WAREHOUSE_TABLES } from '../../cli/run-summary';
import { loadPipelines } from '../../pipelines/registry';
import {
  dataPhaseInterval,
  listClosedRuns,
  maxOverlap,
  startedChildren,
} from '../support/local-stack/child-runs';
import { shopDays } from '../support/local-stack/shop-day-expectations';
import { ShopLane, shopWorld } from '../support/local-stack/shop-lane';
import { startTemporalDevServer } from '../support/local-stack/temporal-dev-server';

// The first day is the DMS full load; the 30th is Berlin's 23-hour DST day.
const FIRST_DAY = '2025-03-29';
const DATES = dateRange(FIRST_DAY, addDays(FIRST_DAY, 9));
const world = shopWorld(FIRST_DAY);
const days = shopDays(world, DATES);
const STAGES = loadPipelines().shop!.stages.map((stage) => stage.id);
const MAX_CONCURRENT = 3;
const BACKFILL_NAMESPACE = 'backfill';
const BACKFILL_ID = `shop/backfill/${DATES[0]}..${DATES.at(-1)}`;

/** The backfill's input exactly as typed into the UI's Start Workflow form. */
const UI_INPUT = `{ "pipeline": "shop", "from": "${DATES[0]}", "to": "${DATES.at(-1)}", "only": "missing", "maxConcurrent": ${MAX_CONCURRENT}, "order": "oldest", "dryRun": false }`;

let env: TestWorkflowEnvironment;
let dataDir: string;
let sequential: ShopLane;
let backfilled: ShopLane;
const reports: DailyRunReport[] = [];
let result: BackfillProgress | undefined;
let backfillError: unknown;
let childIds: { workflowId: string; runId: string }[] = [];
let childRuns: WorkflowExecutionInfo[] = [];
let childReports: DailyRunReport[] = [];
const timings: Record<string, number> = {};

beforeAll(async () => {
  env = await startTemporalDevServer({ extraNamespaces: [BACKFILL_NAMESPACE] });
  dataDir = await mkdtemp(path.join(tmpdir(), 'medallion-backfill-ten-days-'));
  const common = {
    world,
    nativeConnection: env.nativeConnection,
    address: env.address,
    timing: { transitionMs: 20, runMs: 100 },
  };
  sequential = await ShopLane.start({
    ...common,
    name: 'ten-days-sequential',
    dataDir: path.join(dataDir, 'sequential'),
    client: env.client,
    namespace: 'default',
  });
  backfilled = await ShopLane.start({
    ...common,
    name: 'ten-days-backfill',
    dataDir: path.join(dataDir, 'backfill'),
    client: new Client({ connection: env.connection, namespace: BACKFILL_NAMESPACE }),
    namespace: BACKFILL_NAMESPACE,
  });

  // Lane A: one daily run after the other, each as the 02:00 schedule runs it (sources at the day's end).
  let started = Date.now();
  for (const day of days) {
    await sequential.emulator.admin.setSourceClock(day.endUtc);
    reports.push(await sequential.run(day.logicalDate));
  }
  timings.sequentialMs = Date.now() - started;

  // Lane B: the whole range at once, after its last day ended, started by type name with raw JSON.
  await backfilled.emulator.admin.setSourceClock(days.at(-1)!.endUtc);
  started = Date.now();
  const handle = await backfilled.client.workflow.start('backfill', {
    taskQueue: backfilled.taskQueue,
    workflowId: BACKFILL_ID,
    args: [JSON.parse(UI_INPUT) as unknown],
  });
  try {
    result = (await handle.result()) as BackfillProgress;
  } catch (error) {
    backfillError = error;
  }
  timings.backfillMs = Date.now() - started;
  childIds = await startedChildren(handle);
  childRuns = await listClosedRuns(
    backfilled.client,
    `WorkflowType = 'dailyPipeline'`,
    childIds.map((child) => child.runId),
  );
  childReports = await Promise.all(
    childIds.map(
      ({ workflowId, runId }) =>
        backfilled.client.workflow.getHandle(workflowId, runId).result() as Promise<DailyRunReport>,
    ),
  );
}, 240_000);

afterAll(async () => {
  await sequential?.stop();
  await backfilled?.stop();
  await env?.teardown();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a UI-shaped JSON backfill of 10 days with maxConcurrent 3', () => {
  it('the sequential lane ran every stage of every day', () => {
    expect(reports.map((report) => [report.logicalDate, report.status])).toEqual(
      DATES.map((date) => [date, 'succeeded']),
    );
    for (const report of reports)
      expect(report.stages.filter((stage) => stage.status !== 'succeeded').map((stage) => stage.id)).toEqual(
        [],
      );
  });

  it('succeeds for every date', () => {
    expect(backfillError).toBeUndefined();
    expect(result).toMatchObject({
      status: 'succeeded',
      settings: { pipeline: 'shop', from: DATES[0], to: DATES.at(-1), maxConcurrent: MAX_CONCURRENT },
      counts: { total: DATES.length, done: DATES.length, failed: 0, skipped: 0, cancelled: 0, left: 0 },
    });
    expect(result!.dates.map((date) => [date.date, date.status])).toEqual(
      DATES.map((date) => [date, 'succeeded']),
    );
  });

  it("ran each date as ONE child run, the date's daily run, to completion", () => {
    expect(childIds.length).toBe(DATES.length);
    const listed = new Map(childRuns.map((run) => [run.runId, run]));
    for (const { workflowId, runId } of childIds) {
      const run = listed.get(runId)!;
      expect(run.workflowId).toBe(workflowId);
      expect(run.status.name).toBe('COMPLETED');
      expect(run.parentExecution?.workflowId).toBe(BACKFILL_ID);
    }
    // Nothing else ran in the lane's namespace; every date ran once, under its own id.
    expect(childRuns.length).toBe(childIds.length);
    expect(childRuns.map((run) => run.workflowId).sort()).toEqual(
      DATES.map((date) => dailyRunId('shop', date)),
    );
    expect(childReports.every((report) => report.status === 'succeeded')).toBe(true);
  });

  it('never has more than 3 dates in their data phase, and does run them side by side', async ({
    annotate,
  }) => {
    const overlap = maxOverlap(childReports.map(dataPhaseInterval));
    await annotate(
      `${childRuns.length} child runs, at most ${overlap.max} data phases at once; ` +
        `10 sequential days ${timings.sequentialMs} ms, the backfill ${timings.backfillMs} ms`,
    );
    expect(
      overlap.max,
      `running at ${new Date(overlap.at ?? 0).toISOString()}: ${overlap.running.join(', ')}`,
    ).toBeLessThanOrEqual(MAX_CONCURRENT);
    expect(overlap.max).toBeGreaterThan(1);
  });

  it('yields a warehouse equal to the 10 sequential daily runs, table for table (run summary checksums)', async () => {
    const expected = await sequential.checksums();
    expect(expected.map((table) => table.table)).toEqual(
      WAREHOUSE_TABLES.map((table) => `analytics.${table}`),
    );
    expect(expected.filter((table) => table.rows === 0)).toEqual([]);
    // Every row, lineage columns included: a date's backfill runs share one generation, so even the
    // SCD2 versions' batch ids are those of the daily run.
    expect(await backfilled.checksums()).toEqual<TableChecksum[]>(expected);
  });

  it('ran every stage of the pipeline for every date', async () => {
    // The daily runs of each date together cover the pipeline: nothing was left out by the split.
    for (const date of DATES) {
      const ran = new Set<string>();
      for (const run of childRuns.filter((r) => r.workflowId === dailyRunId('shop', date))) {
        const report = (await backfilled.client.workflow
          .getHandle(run.workflowId, run.runId)
          .result()) as DailyRunReport;
        for (const stage of report.stages) if (stage.status === 'succeeded') ran.add(stage.id);
      }
      expect([...ran].sort(), date).toEqual([...STAGES].sort());
    }
  });
});

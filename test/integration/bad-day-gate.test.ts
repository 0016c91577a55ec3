/**
 * A bad day on the real local stack (dev server, AWS emulator on DuckDB, the production worker): the
 * source simulator commits orders twice at one instant (`medallion bad-day --faults duplicate-order`),
 * silver_orders' blocking check `one_version_per_commit` fails the stage with DataQualityFailed, its
 * dependents are blocked and the day's orders are not loaded; the check is named by the CLI and the
 * run, and one alert reaches the emulator's SNS topic. With the bad day cleared, a rerun of the
 * ingest and what follows it is green and sends one "recovered" message.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dailyRunId } from '../../core/activity-contracts';
import type { DailyRunReport } from '../../core/run-report';
import { failureReport } from '../../cli/failure-report';
import { alertRows, localAlerts } from '../../cli/commands/alerts';
import { checkResultLines } from '../../cli/commands/checks';
import { printStatus } from '../../cli/commands/status';
import { switchBadDays } from '../../local/bad-day-switch';
import { loadPipelines } from '../../pipelines/registry';
import { progressQuery } from '../../workflows';
import { shopDays } from '../support/local-stack/shop-day-expectations';
import { ShopLane, shopWorld } from '../support/local-stack/shop-lane';
import { startTemporalDevServer } from '../support/local-stack/temporal-dev-server';

const DATE = '2025-06-02';
const world = shopWorld(DATE);
const [day] = shopDays(world, [DATE]);
/** The blocked stage, what depends on it, and the ingest whose window wrote the bad changes. */
const RERUN_STAGES = [
  'ingest_oltp',
  'silver_orders',
  'silver_order_items',
  'fact_orders',
  'daily_revenue',
  'load_fact_orders',
  'load_fact_daily_revenue',
];
const BLOCKED = ['fact_orders', 'daily_revenue', 'load_fact_orders', 'load_fact_daily_revenue'];

let env: TestWorkflowEnvironment;
let dataDir: string;
let lane: ShopLane;

beforeAll(async () => {
  // The failure is the point here: the SDK's warnings about it would only bury real problems.
  env = await startTemporalDevServer({ logLevel: 'ERROR' });
  dataDir = await mkdtemp(path.join(tmpdir(), 'medallion-bad-day-'));
  lane = await ShopLane.start({
    name: 'bad-day',
    dataDir,
    world,
    client: env.client,
    nativeConnection: env.nativeConnection,
    address: env.address,
    namespace: 'default',
    timing: { transitionMs: 20, runMs: 100 },
    badDays: true,
  });
  await lane.emulator.admin.setSourceClock(day!.endUtc);
}, 120_000);

afterAll(async () => {
  await lane?.stop();
  await env?.teardown();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const alerts = async () => {
  const topicArn = lane.config.environment.alerts!.topicArn;
  return localAlerts(lane.emulator.endpoint, topicArn);
};

const statusLines = async () => {
  const lines: string[] = [];
  await printStatus(lane.client, { pipeline: 'shop', date: DATE }, (line) => lines.push(line));
  return lines;
};

/** The day's rows in the warehouse's fact_orders; the first load creates the table. */
const ordersLoaded = async () => {
  const tables = await lane.query(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'analytics' AND table_name = 'fact_orders'",
  );
  if (tables.length === 0) return 0;
  const [row] = await lane.query(`SELECT COUNT(*) AS n FROM analytics.fact_orders WHERE dt = DATE '${DATE}'`);
  return Number(row!.n);
};

it('a bad day is blocked by the check it fails, alerted once; fixed and rerun it is green and recovered', async () => {
  const shop = loadPipelines().shop!;
  switchBadDays(dataDir, { date: DATE, faults: 'duplicate-order' });

  const failure = await lane.run(DATE).then(
    () => undefined,
    (error: unknown) => error,
  );
  const report = failureReport(failure);
  expect(report, 'the bad day fails').toBeDefined();
  const stage = (id: string) => report!.stages.find((s) => s.id === id)!;
  expect(stage('silver_orders')).toMatchObject({ status: 'failed', errorClass: 'DataQualityFailed' });
  expect(stage('silver_orders').error).toMatch(
    /silver_orders\.one_version_per_commit \(unique, block\) FAILED: measured 3, bound <= 0 duplicate \(order_id, _commit_ts\) keys/,
  );
  for (const id of BLOCKED) expect(stage(id).status, id).toBe('blocked');
  // The rest of the day ran: the dimensions were merged and loaded.
  expect(stage('scd2_dim_customer').status).toBe('succeeded');
  expect(await ordersLoaded(), 'the blocked day loads no order').toBe(0);

  // The check in the run (progress query, Current Details) and in the CLI.
  const handle = lane.client.workflow.getHandle(dailyRunId('shop', DATE));
  const progress: DailyRunReport = await handle.query(progressQuery);
  expect(progress.stages.find((s) => s.id === 'silver_orders')!.checks).toContainEqual(
    expect.objectContaining({ check: 'one_version_per_commit', severity: 'block', passed: false }),
  );
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  expect(metadata.currentDetails).toMatch(/one_version_per_commit/);
  expect((await statusLines()).join('\n')).toMatch(
    /silver_orders +failed: .*\n +BLOCKED by one_version_per_commit: measured 3, bound <= 0/,
  );
  const failedChecks = await checkResultLines(lane.warehouse, shop, { from: DATE, to: DATE });
  expect(failedChecks).toEqual([
    expect.stringMatching(
      new RegExp(`^${DATE} +BLOCKED +silver_orders\\.one_version_per_commit: measured 3, bound <= 0`),
    ),
  ]);

  const first = await alerts();
  expect(alertRows(first).map((a) => [a.event, a.scope, a.stage, a.class])).toEqual([
    ['alert', DATE, 'silver_orders', 'DataQualityFailed'],
  ]);
  expect(first[0]!.message).toContain('one_version_per_commit');

  switchBadDays(dataDir, { date: DATE, clear: true });
  const fixed = await lane.run(DATE, { rerun: true, stages: RERUN_STAGES });
  expect(fixed.status).toBe('succeeded');
  for (const id of RERUN_STAGES) expect(fixed.stages.find((s) => s.id === id)!.status, id).toBe('succeeded');
  expect(
    fixed.stages.find((s) => s.id === 'silver_orders')!.checks!.filter((c) => c.severity === 'block'),
  ).toEqual([expect.objectContaining({ check: 'one_version_per_commit', passed: true, measured: 0 })]);
  expect(await ordersLoaded()).toBeGreaterThan(0);
  expect(await checkResultLines(lane.warehouse, shop, { from: DATE, to: DATE })).toEqual([
    `no failed checks of shop from ${DATE} to ${DATE}`,
  ]);
  expect((await statusLines()).join('\n')).not.toMatch(/BLOCKED/);

  const all = alertRows(await alerts());
  expect(all.map((a) => [a.event, a.stage])).toEqual([
    ['alert', 'silver_orders'],
    ['recovered', 'silver_orders'],
  ]);
}, 120_000);

/**
 * What a fresh lake's first runs give (`npx tsx bench/first-day.ts [--days 30]`), on the local stack
 * `npm start` runs (emulator, production worker, a dev server of its own on free ports):
 *
 * 1. the first `npm start`: a fresh data directory (its world opens 401 days back), yesterday's shop
 *    day; prints the run's time and the rows `fact_daily_revenue` got, and what daily_revenue quarantined;
 * 2. a fresh backfill of the `--days` days up to yesterday (0: none) (the backfill is the lake's first run);
 *    prints the share of the range's units (order-line quantities) whose revenue daily_revenue
 *    quarantined because the lake did not know their product.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { backfillRunId, dailyRunId } from '../core/activity-contracts';
import { addDays, localDate } from '../core/dates';
import type { DailyRunReport } from '../core/run-report';
import { loadPipelines } from '../pipelines/registry';
import { startDevServer } from '../local/dev-server';
import { startLocalStack } from '../local/local-stack';
import { freePort } from '../local/net';
import { warehouseQueryFor } from '../workers/aws-clients';
import { backfill } from '../workflows/backfill';
import { dailyPipeline } from '../workflows/daily-pipeline';
import { stopOnSignal } from './support/stop-on-signal';

const { values } = parseArgs({ options: { days: { type: 'string', default: '30' } } });
const days = Number(values.days);
if (!Number.isInteger(days) || days < 0 || days > 400) throw new Error('--days: use 0 (no backfill) to 400');

const shop = loadPipelines().shop!;
const yesterday = addDays(localDate(new Date(), shop.timeZone), -1);
const say = (line: string) => process.stdout.write(`${line}\n`);
const quiet = () => undefined;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Runs `body` on a fresh data directory with a dev server of its own; stops and removes everything. */
async function onFreshStack<T>(
  name: string,
  firstDay: string,
  body: (stack: Awaited<ReturnType<typeof startLocalStack>>, dataDir: string) => Promise<T>,
): Promise<T> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `medallion-first-day-${name}-`));
  const devServer = await startDevServer(dataDir, await freePort(), await freePort(), { persistent: false });
  const forgetServer = stopOnSignal(() => devServer.stop());
  process.env.TEMPORAL_ADDRESS = devServer.address;
  try {
    const stack = await startLocalStack({ dataDir, firstDay, say: quiet });
    const forgetStack = stopOnSignal(() => stack.stop());
    try {
      return await body(stack, dataDir);
    } finally {
      forgetStack();
      await stack.stop();
    }
  } finally {
    forgetServer();
    await devServer.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Units (quantities) daily_revenue put in the warehouse and in its quarantine, over the given dates. */
async function revenueUnits(dataDir: string, bucket: string, from: string, to: string) {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const lake = path.join(dataDir, 'aws', 'lake', bucket);
    const sum = async (folder: string) => {
      const reader = await connection.runAndReadAll(
        `SELECT COALESCE(SUM(units), 0)::BIGINT AS units FROM read_parquet('${lake}/${folder}/dt=*/*.parquet',
           hive_partitioning = true, union_by_name = true) WHERE dt BETWEEN '${from}' AND '${to}'`,
      );
      return Number(reader.getRowObjects()[0]!.units);
    };
    return { loaded: await sum('gold/daily_revenue'), quarantined: await sum('quarantine/daily_revenue') };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function firstNpmStart(): Promise<void> {
  await onFreshStack('npm-start', yesterday, async (stack) => {
    const started = performance.now();
    const report: DailyRunReport = await stack.client.workflow.execute(dailyPipeline, {
      workflowId: dailyRunId(shop.name, yesterday),
      taskQueue: stack.config.temporal.taskQueue,
      args: [{ pipeline: shop.name, logicalDate: yesterday }],
    });
    const runMs = performance.now() - started;
    const gold = report.stages.find((s) => s.id === 'daily_revenue');
    const [revenue] = await warehouseQueryFor(stack.config.environment)(
      `SELECT COUNT(*) AS n FROM analytics.fact_daily_revenue WHERE dt = DATE '${yesterday}'`,
    );
    say(`first npm start (fresh data directory), ${dailyRunId(shop.name, yesterday)}:`);
    say(`  run, start to completed:        ${seconds(runMs)}`);
    say(`  fact_daily_revenue rows of the day: ${Number(revenue?.n ?? 0)}`);
    say(`  daily_revenue rows quarantined:     ${gold?.quarantined ?? 0}`);
    say('  stage durations (emulated jobs, DuckDB):');
    for (const stage of report.stages) {
      say(
        `    ${stage.id.padEnd(26)} ${seconds(stage.durationMs ?? 0).padStart(7)}  rows out ${stage.rowsOut ?? '-'}`,
      );
    }
  });
}

async function freshBackfill(): Promise<void> {
  const from = addDays(yesterday, -(days - 1));
  await onFreshStack('backfill', from, async (stack, dataDir) => {
    const started = performance.now();
    await stack.client.workflow.execute(backfill, {
      workflowId: backfillRunId(shop.name, from, yesterday),
      taskQueue: stack.config.temporal.taskQueue,
      args: [{ pipeline: shop.name, from, to: yesterday, maxConcurrent: 4 }],
    });
    const wallMs = performance.now() - started;
    const units = await revenueUnits(dataDir, stack.world.bucket, from, yesterday);
    const firstDay = await revenueUnits(dataDir, stack.world.bucket, from, from);
    const share = (u: { loaded: number; quarantined: number }) =>
      `${((100 * u.quarantined) / Math.max(1, u.loaded + u.quarantined)).toFixed(1)} %`;
    say(`fresh ${days}-day backfill ${from}..${yesterday} (the lake's first run), ${seconds(wallMs)}:`);
    say(
      `  units whose revenue was quarantined (product unknown): ${share(units)} overall, ${share(firstDay)} on ${from}`,
    );
    say(`  units loaded ${units.loaded}, quarantined ${units.quarantined}`);
  });
}

async function main(): Promise<void> {
  await firstNpmStart();
  if (days > 0) await freshBackfill();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);

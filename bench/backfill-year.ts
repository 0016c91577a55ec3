/**
 * A 365-day backfill of `shop` against the emulator with zero job latency
 * (`npx tsx bench/backfill-year.ts [--days 365] [--max-concurrent 4]`).
 * Goal: wall time <= 90 s on 2 cores. Also prints the worker's peak RSS, history events per child and
 * how busy the two serial lanes (CDC windows, dimension merges) kept the wall time.
 *
 * Set-up: the Temporal dev server (its SQLite in memory: the server is thrown away afterwards, and a
 * team's real server runs on machines of its own) and the AWS emulator (its runs take no time:
 * transitionMs and runMs 0) each in a process of their own; the production worker in this process, so
 * this process's peak RSS is the worker's (plus the small driver). Stage activities poll the emulator
 * from 10 ms backing off to 50 ms instead of the local default 250 ms: the emulated jobs finish at
 * once, the pipeline's work (SQL on DuckDB in the emulator, workflow and activity round trips) is what
 * is measured. The range starts at the shop's first day (DMS full load) and the backfill starts every
 * date as a never-run date.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { BackfillProgress } from '../core/backfill-report';
import { progressLine } from '../core/backfill-report';
import { addDays } from '../core/dates';
import type { DailyRunReport } from '../core/run-report';
import type { EmulatorConfig } from '../emulator/emulator-config';
import { buildShopEmulatorConfig } from '../emulator/shop-emulator-config';
import { parseWorkerConfig } from '../workers/config';
import { localEnvironment } from '../local/local-environment';
import { backfill, backfillProgressQuery } from '../workflows/backfill';
import { backfillBenchArgs, runBench, say, SHOP_FIRST_DAY } from './support/bench-stack';
import { ownCpuSeconds, processCpuSeconds, summarize } from './support/process-cpu';

const GOAL_MS = 90_000;
const FIRST_DAY = SHOP_FIRST_DAY;
const BUCKET = 'medallion-lake';
const TASK_QUEUE = 'bench-backfill';

const { days, maxConcurrent } = backfillBenchArgs();

/** The shop's emulated account; its runs take no time. */
const emulatorConfig = buildShopEmulatorConfig({
  bucket: BUCKET,
  seed: 42,
  timeZone: 'Europe/Berlin',
  timing: { transitionMs: 0, runMs: 0 },
});

async function startEmulatorProcess(
  dataDir: string,
  config: EmulatorConfig,
): Promise<{ endpoint: string; child: ChildProcess }> {
  const configFile = path.join(dataDir, 'emulator.json');
  writeFileSync(configFile, JSON.stringify(config));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.resolve(__dirname, '../emulator/main.ts'),
      ...['--data-dir', path.join(dataDir, 'aws'), '--port', '0', '--config', configFile],
      ...['--first-day', FIRST_DAY, '--log-level', 'warn'],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return { endpoint: chunk.toString().trim().split('\n')[0]!, child };
}

interface ChildRun {
  events: number;
  wallMs: number;
  stages: { id: string; status: string; startedAt?: string; finishedAt?: string }[];
}

/** The backfill's three kinds of child run, told apart by the stages each ran. */
async function childKinds(
  client: Client,
  children: WorkflowExecutionInfo[],
): Promise<Map<string, ChildRun[]>> {
  const kinds = new Map<string, ChildRun[]>();
  for (const child of children) {
    const report = (await client.workflow
      .getHandle(child.workflowId, child.runId)
      .result()) as DailyRunReport;
    const ran = report.stages.filter((s) => s.status === 'succeeded');
    const kind = ran.every((s) => s.kind === 'dms')
      ? 'CDC windows'
      : ran.some((s) => s.kind === 'scd2')
        ? 'dimension merges'
        : 'data phase';
    const run: ChildRun = {
      events: child.historyLength,
      wallMs: (child.closeTime ?? child.startTime).getTime() - child.startTime.getTime(),
      stages: ran,
    };
    kinds.set(kind, [...(kinds.get(kind) ?? []), run]);
  }
  return kinds;
}

function stageTimes(kinds: Map<string, ChildRun[]>): Map<string, number[]> {
  const times = new Map<string, number[]>();
  for (const runs of kinds.values()) {
    for (const stage of runs.flatMap((r) => r.stages)) {
      if (!stage.startedAt || !stage.finishedAt) continue;
      const ms = Date.parse(stage.finishedAt) - Date.parse(stage.startedAt);
      times.set(stage.id, [...(times.get(stage.id) ?? []), ms]);
    }
  }
  return times;
}

runBench('backfill', async ({ dataDir, devServer, onStop, startWorker }) => {
  const emulator = await startEmulatorProcess(dataDir, emulatorConfig);
  onStop(async () => {
    emulator.child.kill('SIGTERM');
    await once(emulator.child, 'exit');
  });
  const config = parseWorkerConfig(
    {
      temporal: { address: devServer.address, namespace: 'default', taskQueue: TASK_QUEUE },
      environment: {
        ...localEnvironment(emulator.endpoint, emulatorConfig, BUCKET),
        poll: { initialInterval: '10ms', maxInterval: '50ms', backoffCoefficient: 1.5 },
      },
    },
    'bench',
  );
  const client = await startWorker(config);

  const to = addDays(FIRST_DAY, days - 1);
  say(
    `backfill of shop ${FIRST_DAY}..${to} (${days} days), maxConcurrent ${maxConcurrent}, zero job latency`,
  );
  const workerCpuBefore = ownCpuSeconds();
  const temporalCpuBefore = processCpuSeconds(devServer.pid);
  const emulatorCpuBefore = processCpuSeconds(emulator.child.pid);
  const started = Date.now();
  const handle = await client.workflow.start(backfill, {
    taskQueue: TASK_QUEUE,
    workflowId: `shop/backfill/${FIRST_DAY}..${to}`,
    args: [{ pipeline: 'shop', from: FIRST_DAY, to, maxConcurrent }],
  });
  const ticker = setInterval(() => {
    handle
      .query(backfillProgressQuery)
      .then((p) => say(`${((Date.now() - started) / 1000).toFixed(0)} s ${progressLine(p).trim()}`))
      .catch(() => undefined);
  }, 10_000);
  let result: BackfillProgress;
  try {
    result = await handle.result();
  } finally {
    clearInterval(ticker);
  }
  const wallMs = Date.now() - started;
  const cpu = {
    worker: ownCpuSeconds() - workerCpuBefore,
    temporal: processCpuSeconds(devServer.pid) - temporalCpuBefore,
    emulator: processCpuSeconds(emulator.child.pid) - emulatorCpuBefore,
  };
  const peakRssMb = process.resourceUsage().maxRSS / 1024;

  const children: WorkflowExecutionInfo[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowType = 'dailyPipeline'` }))
    children.push(run);
  const backfillRuns: WorkflowExecutionInfo[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowType = 'backfill'` }))
    backfillRuns.push(run);

  const kinds = await childKinds(client, children);
  say('');
  say(`dates: ${result.counts.done} succeeded, ${result.counts.failed} failed of ${result.counts.total}`);
  say(
    `wall time: ${(wallMs / 1000).toFixed(1)} s ` +
      (days === 365
        ? `(goal <= ${GOAL_MS / 1000} s): ${wallMs <= GOAL_MS ? 'met' : 'NOT met'}`
        : `(the ${GOAL_MS / 1000} s goal is for --days 365)`),
  );
  say(`per date: ${(wallMs / days).toFixed(0)} ms`);
  const cpuTotal = cpu.worker + cpu.temporal + cpu.emulator;
  say(
    `CPU during the backfill: ${cpuTotal.toFixed(0)} s on 2 cores (${((cpuTotal / days) * 1000).toFixed(0)} ms per date): ` +
      `AWS emulator with DuckDB ${cpu.emulator.toFixed(0)} s, Temporal dev server ${cpu.temporal.toFixed(0)} s, ` +
      `worker ${cpu.worker.toFixed(0)} s`,
  );
  say(`worker peak RSS: ${peakRssMb.toFixed(0)} MB (this process: worker + driver)`);
  say(
    `child runs: ${children.length} (${(children.length / days).toFixed(2)} per date: CDC windows, data phase, merges)`,
  );
  say(`history events per child run: ${summarize(children.map((c) => c.historyLength))}`);
  for (const [kind, runs] of kinds) {
    say(
      `  ${kind} (${runs.length} runs): events ${summarize(runs.map((r) => r.events))}; ` +
        `wall ms ${summarize(runs.map((r) => r.wallMs))}`,
    );
  }
  // CDC windows and merges each run one date at a time: the share of the wall time their children
  // ran is how close that lane is to bounding the whole backfill.
  for (const kind of ['CDC windows', 'dimension merges']) {
    const busyMs = (kinds.get(kind) ?? []).reduce((sum, run) => sum + run.wallMs, 0);
    say(
      `serial lane of ${kind}: busy ${(busyMs / 1000).toFixed(0)} s, ${((100 * busyMs) / wallMs).toFixed(0)} % of the wall time`,
    );
  }
  say("stage wall time (start to done, ms), where a date's time goes:");
  for (const [stage, ms] of stageTimes(kinds)) say(`  ${stage.padEnd(24)} ${summarize(ms)}`);
  say(
    `backfill runs (continue-as-new chain): ${backfillRuns.length}, events per run: ${summarize(backfillRuns.map((r) => r.historyLength))}`,
  );
});

/**
 * A 365-day backfill of `shop` against the emulator with zero job latency, then the orchestration
 * floor of the same backfill, in one process run (`npx tsx bench/backfill-year.ts [--days 365]
 * [--max-concurrent 4]`). Goals: the real backfill takes at most 1.5x the floor, and the worker's
 * peak RSS stays at most 500 MB. Also prints history events per child run, how busy the two serial
 * lanes (CDC windows, dimension merges) kept the wall time and where a date's time goes.
 *
 * Set-up: the Temporal dev server (its SQLite in memory: the server is thrown away afterwards, and a
 * team's real server runs on machines of its own) and the AWS emulator (its runs take no time:
 * transitionMs and runMs 0) each in a process of their own; the production worker in this process,
 * on a workflow bundle built beforehand as the image does, so this process's peak RSS is the worker's
 * (plus the small driver). Stage activities poll the emulator from 10 ms backing off to 50 ms instead
 * of the local default 250 ms: the emulated jobs finish at once, the pipeline's work (SQL on DuckDB in
 * the emulator, workflow and activity round trips) is what is measured. The range starts at the shop's
 * first day (DMS full load) and the backfill starts every date as a never-run date. The floor runs
 * second, on a dev server of its own, so the kernel's RSS high-water mark is the real backfill's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import {
  ApplicationFailure,
  type Client,
  type WorkflowExecutionInfo,
  WorkflowFailedError,
} from '@temporalio/client';
import { failureReport } from '../cli/failure-report';
import type { BackfillProgress } from '../core/backfill-report';
import { progressLine } from '../core/backfill-report';
import { addDays } from '../core/dates';
import type { DailyRunReport, StageReport } from '../core/run-report';
import type { EmulatorConfig } from '../emulator/emulator-config';
import { buildShopEmulatorConfig } from '../emulator/shop-emulator-config';
import { parseWorkerConfig } from '../workers/config';
import { localEnvironment } from '../local/local-environment';
import { backfill, backfillProgressQuery } from '../workflows/backfill';
import {
  backfillBenchArgs,
  type BenchStack,
  runMain,
  say,
  SHOP_FIRST_DAY,
  withBenchStack,
} from './support/bench-stack';
import { runFloorBackfill } from './support/floor-backfill';
import { printFloor } from './support/floor-report';
import { processPeakRssMb } from './support/peak-rss';
import { ownCpuSeconds, processCpuSeconds, summarize } from './support/process-cpu';

const RATIO_GOAL = 1.5;
const RSS_GOAL_MB = 500;
const FIRST_DAY = SHOP_FIRST_DAY;
const BUCKET = 'medallion-lake';
const TASK_QUEUE = 'bench-backfill';

const args = backfillBenchArgs();
const { days, maxConcurrent } = args;

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
  stages: StageReport[];
}

/** What a child run did, told apart by the stages it ran. */
function kindOf(ran: StageReport[]): string {
  if (ran.every((s) => s.kind === 'dms')) return 'CDC windows';
  if (ran.every((s) => s.kind === 'scd2')) return 'dimension merges';
  if (ran.some((s) => s.kind === 'dms') && ran.some((s) => s.kind === 'scd2')) return 'whole date';
  return 'data phase';
}

async function childKinds(
  client: Client,
  children: WorkflowExecutionInfo[],
): Promise<Map<string, ChildRun[]>> {
  const kinds = new Map<string, ChildRun[]>();
  for (const child of children) {
    const report = (await client.workflow
      .getHandle(child.workflowId, child.runId)
      .result()
      .catch((error: unknown) => {
        // A failed date's run attaches its report to its failure.
        const failed = failureReport(error) as Partial<DailyRunReport> | undefined;
        if (!failed?.stages) throw error;
        return failed;
      })) as DailyRunReport;
    const ran = report.stages.filter((s) => s.status === 'succeeded');
    const run: ChildRun = {
      events: child.historyLength,
      wallMs: (child.closeTime ?? child.startTime).getTime() - child.startTime.getTime(),
      stages: ran,
    };
    const kind = kindOf(ran);
    kinds.set(kind, [...(kinds.get(kind) ?? []), run]);
  }
  return kinds;
}

function stageSpans(kinds: Map<string, ChildRun[]>): { stage: StageReport; from: number; to: number }[] {
  return [...kinds.values()]
    .flatMap((runs) => runs.flatMap((r) => r.stages))
    .filter((s) => s.startedAt && s.finishedAt)
    .map((stage) => ({ stage, from: Date.parse(stage.startedAt!), to: Date.parse(stage.finishedAt!) }));
}

/** Time during which at least one of the spans ran: how long a serial lane was busy. */
function busyMs(spans: { from: number; to: number }[]): number {
  let busy = 0;
  let end = -Infinity;
  for (const { from, to } of [...spans].sort((a, b) => a.from - b.from)) {
    if (to <= end) continue;
    busy += to - Math.max(from, end);
    end = to;
  }
  return busy;
}

/**
 * A backfill with failed dates (a blocking quality check on the generated data, say) still ran the
 * rest: its figures are printed with the failed dates named. Any other failure ends the bench.
 */
function failedBackfillProgress(error: unknown): BackfillProgress {
  const cause = error instanceof WorkflowFailedError ? error.cause : undefined;
  if (!(cause instanceof ApplicationFailure) || cause.type !== 'BackfillFailed') throw error;
  say(`the backfill failed: ${cause.message}`);
  return cause.details?.[0] as BackfillProgress;
}

interface YearFigures {
  wallMs: number;
  peakRssMb: number;
  /** CPU seconds during the backfill, per process. */
  cpu: { worker: number; temporal: number; emulator: number };
}

async function realBackfill(stack: BenchStack): Promise<YearFigures> {
  const { dataDir, devServer, onStop, startWorker } = stack;
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
    result = await handle.result().catch((error: unknown) => failedBackfillProgress(error));
  } finally {
    clearInterval(ticker);
  }
  const wallMs = Date.now() - started;
  const cpu = {
    worker: ownCpuSeconds() - workerCpuBefore,
    temporal: processCpuSeconds(devServer.pid) - temporalCpuBefore,
    emulator: processCpuSeconds(emulator.child.pid) - emulatorCpuBefore,
  };
  // This backfill runs first in the process: the kernel's high-water mark is its peak.
  const peakRssMb = processPeakRssMb();

  const children: WorkflowExecutionInfo[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowType = 'dailyPipeline'` }))
    children.push(run);
  const backfillRuns: WorkflowExecutionInfo[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowType = 'backfill'` }))
    backfillRuns.push(run);

  const kinds = await childKinds(client, children);
  const spans = stageSpans(kinds);
  say('');
  say(`dates: ${result.counts.done} succeeded, ${result.counts.failed} failed of ${result.counts.total}`);
  say(`wall time: ${(wallMs / 1000).toFixed(1)} s, ${(wallMs / days).toFixed(0)} ms per date`);
  const cpuTotal = cpu.worker + cpu.temporal + cpu.emulator;
  say(
    `CPU during the backfill: ${cpuTotal.toFixed(0)} s on 2 cores (${((cpuTotal / days) * 1000).toFixed(0)} ms per date): ` +
      `AWS emulator with DuckDB ${cpu.emulator.toFixed(0)} s, Temporal dev server ${cpu.temporal.toFixed(0)} s, ` +
      `worker ${cpu.worker.toFixed(0)} s`,
  );
  say(
    `worker peak RSS: ${peakRssMb.toFixed(0)} MB (this process: worker + driver; goal <= ${RSS_GOAL_MB} MB): ` +
      `${peakRssMb <= RSS_GOAL_MB ? 'met' : 'NOT met'}`,
  );
  say(`child runs: ${children.length} (${(children.length / days).toFixed(2)} per date)`);
  say(`history events per child run: ${summarize(children.map((c) => c.historyLength))}`);
  for (const [kind, runs] of kinds) {
    say(
      `  ${kind} (${runs.length} runs): events ${summarize(runs.map((r) => r.events))}; ` +
        `wall ms ${summarize(runs.map((r) => r.wallMs))}`,
    );
  }
  // CDC windows and merges each run one date at a time: the share of the wall time their stages ran
  // is how close that lane is to bounding the whole backfill.
  for (const [lane, kind] of [
    ['CDC windows', 'dms'],
    ['dimension merges', 'scd2'],
  ] as const) {
    const busy = busyMs(spans.filter((s) => s.stage.kind === kind));
    say(
      `serial lane of ${lane}: busy ${(busy / 1000).toFixed(0)} s, ${((100 * busy) / wallMs).toFixed(0)} % of the wall time`,
    );
  }
  say("stage wall time (start to done, ms), where a date's time goes:");
  const byStage = new Map<string, number[]>();
  for (const { stage, from, to: end } of spans)
    byStage.set(stage.id, [...(byStage.get(stage.id) ?? []), end - from]);
  for (const [stage, ms] of byStage) say(`  ${stage.padEnd(24)} ${summarize(ms)}`);
  say(
    `backfill runs (continue-as-new chain): ${backfillRuns.length}, events per run: ${summarize(backfillRuns.map((r) => r.historyLength))}`,
  );
  return { wallMs, peakRssMb, cpu };
}

runMain(async () => {
  const year = await withBenchStack('backfill', realBackfill);
  say('');
  say(`orchestration floor of the same backfill (every stage succeeds at once, no AWS side):`);
  const floor = await withBenchStack('floor', (stack) => runFloorBackfill(stack, args));
  printFloor(floor);
  const ratio = year.wallMs / floor.wallMs;
  say('');
  say(
    `real backfill / floor: ${(year.wallMs / 1000).toFixed(1)} s / ${(floor.wallMs / 1000).toFixed(1)} s = ` +
      `${ratio.toFixed(2)}x (goal <= ${RATIO_GOAL}x): ${ratio <= RATIO_GOAL ? 'met' : 'NOT met'}`,
  );
  // The emulator stands in for AWS: its DuckDB work runs on this machine's cores, where on AWS it
  // would run on Glue's, EMR's and Redshift's. Without it, what the worker and the Temporal server
  // do for the real backfill is compared with what they do for the floor, in CPU seconds (the wall
  // time of the two processes alone cannot be measured while the emulator shares the cores).
  const orchestrationCpu = year.cpu.worker + year.cpu.temporal;
  const floorCpu = floor.cpu.worker + floor.cpu.temporal;
  say(
    `without the emulator's work: worker + dev server CPU ${orchestrationCpu.toFixed(1)} s / the floor's ` +
      `${floorCpu.toFixed(1)} s = ${(orchestrationCpu / floorCpu).toFixed(2)}x (emulator ${year.cpu.emulator.toFixed(1)} CPU-s ` +
      `spread over ${cpus().length} cores = ${(year.cpu.emulator / cpus().length / (floor.wallMs / 1000)).toFixed(1)}x ` +
      `the floor's wall time)`,
  );
  say(
    `worker peak RSS in the real backfill: ${year.peakRssMb.toFixed(0)} MB (goal <= ${RSS_GOAL_MB} MB): ` +
      `${year.peakRssMb <= RSS_GOAL_MB ? 'met' : 'NOT met'}`,
  );
});

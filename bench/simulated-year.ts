/**
 * A year's shop backfill with realistic AWS times, simulated (`npx tsx bench/simulated-year.ts
 * [--days 365] [--max-concurrent 4]`): the production workflows and worker code on the time-skipping
 * test server, under the default caps, with every stage taking its seeded AWS time
 * (support/simulated-aws-times.ts: Glue 2-6 min, EMR Serverless 3-8 min, DMS window 3-5 min, AppFlow
 * 1-3 min, SCD2 merge 20-60 s per date merged plus 15 s per transaction, load 10-30 s) on a durable
 * timer before its activity succeeds (support/simulated-latency-interceptor.ts). Prints the simulated
 * makespan, its lower bound (support/simulated-bound.ts) and their ratio (goal <= 1.15), then the
 * same backfill without catch-up merges (maxDatesPerMerge 1), so the gain shows.
 */
import { Worker } from '@temporalio/worker';
import { BACKFILL_LIMITS, type BackfillInput } from '../core/backfill-contracts';
import { addDays } from '../core/dates';
import type { StageInput } from '../core/stage-io';
import { timeSkippingEnv } from '../local/temporal-servers';
import { WORKFLOWS_PATH } from '../workers/worker';
import { backfill } from '../workflows/backfill';
import { validateBackfillInput } from '../workflows/backfill-input';
import { backfillBenchArgs, runMain, say, SHOP_FIRST_DAY } from './support/bench-stack';
import { floorActivities, floorWorkerConfig, instantStage } from './support/floor-backfill';
import { type SimulatedRun, simulatedRunOf } from './support/simulated-aws-times';
import { dateSlotsMs, makespanBound } from './support/simulated-bound';
import { stopOnSignal } from './support/stop-on-signal';

const RATIO_GOAL = 1.15;
const TASK_QUEUE = 'bench-simulated-year';
const HOUR = 3_600_000;

const { days, maxConcurrent } = backfillBenchArgs();
const dates = Array.from({ length: days }, (_, i) => addDays(SHOP_FIRST_DAY, i));
const to = dates.at(-1)!;

/** The backfill input's catch-up merge cap and its default, where this build has them. */
function catchUpMerges(): { supported: boolean; defaultDates: number } {
  const limits = BACKFILL_LIMITS as { maxDatesPerMerge?: { default: number } };
  try {
    validateBackfillInput({ pipeline: 'shop', from: SHOP_FIRST_DAY, to, maxDatesPerMerge: 1 });
  } catch {
    return { supported: false, defaultDates: 1 };
  }
  return { supported: true, defaultDates: limits.maxDatesPerMerge?.default ?? 31 };
}

interface SimulatedBackfill {
  makespanMs: number;
  wallMs: number;
  done: number;
  total: number;
  runs: SimulatedRun[];
}

/** One backfill on a fresh time-skipping server; every stage run it made is recorded. */
async function simulatedBackfill(extra: Partial<BackfillInput>): Promise<SimulatedBackfill> {
  const env = await timeSkippingEnv();
  const forget = stopOnSignal(() => env.teardown());
  try {
    const runs: SimulatedRun[] = [];
    const recorded = (input: StageInput) => {
      runs.push(simulatedRunOf(input));
      return instantStage(input);
    };
    const config = floorWorkerConfig('unused: the worker gets the test server connection', TASK_QUEUE);
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: TASK_QUEUE,
      workflowsPath: WORKFLOWS_PATH,
      interceptors: { workflowModules: [require.resolve('./support/simulated-latency-interceptor')] },
      activities: floorActivities(config, {
        runDmsStage: recorded,
        runAppFlowStage: recorded,
        runGlueStage: recorded,
        runEmrServerlessStage: recorded,
        runRedshiftStage: recorded,
      }),
      maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTaskExecutions,
      maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivityTaskExecutions,
    });
    const startedAt = await env.currentTimeMs();
    const wallStarted = Date.now();
    const input: BackfillInput = { pipeline: 'shop', from: SHOP_FIRST_DAY, to, maxConcurrent, ...extra };
    const handle = await env.client.workflow.start(backfill, {
      taskQueue: TASK_QUEUE,
      workflowId: `shop/backfill/${SHOP_FIRST_DAY}..${to}`,
      args: [input],
    });
    const result = await worker.runUntil(handle.result());
    const closeTime = (await handle.describe()).closeTime;
    const makespanMs = (closeTime?.getTime() ?? (await env.currentTimeMs())) - startedAt;
    return {
      makespanMs,
      wallMs: Date.now() - wallStarted,
      done: result.counts.done,
      total: result.counts.total,
      runs,
    };
  } finally {
    forget();
    await env.teardown();
  }
}

const hours = (ms: number) => `${(ms / HOUR).toFixed(2)} h`;

function describeRun(label: string, run: SimulatedBackfill, boundMs: number): void {
  const merges = run.runs.filter((r) => r.stageId.startsWith('scd2_'));
  const datesMerged = merges.reduce((sum, r) => sum + r.dates.length, 0);
  say(
    `${label}: makespan ${hours(run.makespanMs)} simulated = ${(run.makespanMs / boundMs).toFixed(3)}x the bound; ` +
      `${run.done} of ${run.total} dates succeeded; ${merges.length} merge transactions ` +
      `(${(datesMerged / Math.max(1, merges.length)).toFixed(1)} dates each); ` +
      `${run.runs.length} stage runs; ${(run.wallMs / 1000).toFixed(0)} s of wall time`,
  );
}

runMain(async () => {
  const catchUp = catchUpMerges();
  const bound = makespanBound({ dates, maxConcurrent, maxDatesPerMerge: catchUp.defaultDates });
  say(
    `simulated backfill of shop ${SHOP_FIRST_DAY}..${to} (${days} days), maxConcurrent ${maxConcurrent}, ` +
      `default caps, seeded AWS times`,
  );
  say(`lower bound of the makespan: ${hours(bound.ms)}, the largest of`);
  for (const part of bound.parts) say(`  ${hours(part.ms).padStart(9)}  ${part.name}`);
  say(
    `  (not in the bound: ${hours(dateSlotsMs(dates, maxConcurrent))} if each date held one of the ` +
      `${maxConcurrent} slots for its critical path without merges)`,
  );

  const withCatchUp = await simulatedBackfill({});
  const ratio = withCatchUp.makespanMs / bound.ms;
  describeRun(
    catchUp.supported
      ? `with catch-up merges (maxDatesPerMerge default ${catchUp.defaultDates})`
      : 'this build (no catch-up merges: the backfill input has no maxDatesPerMerge)',
    withCatchUp,
    bound.ms,
  );
  if (catchUp.supported) {
    const without = await simulatedBackfill({ maxDatesPerMerge: 1 });
    describeRun('without catch-up merges (maxDatesPerMerge 1)', without, bound.ms);
    say(
      `catch-up merges save ${hours(without.makespanMs - withCatchUp.makespanMs)} ` +
        `(${((100 * (without.makespanMs - withCatchUp.makespanMs)) / without.makespanMs).toFixed(1)} % of the makespan)`,
    );
  }
  say(
    `makespan / bound: ${ratio.toFixed(3)}x (goal <= ${RATIO_GOAL}x): ${ratio <= RATIO_GOAL ? 'met' : 'NOT met'}`,
  );
});

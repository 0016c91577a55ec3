/**
 * The orchestration floor of a shop backfill: the same backfill and daily-run workflows, the same
 * worker and planning code, on a Temporal dev server of its own, but every stage activity answers at
 * once and the run-state markers live in memory. No AWS emulator, no AWS SDK call, no SQL. Whatever
 * the AWS side costs comes on top of its wall time. Run by bench/orchestration-floor.ts alone and by
 * bench/backfill-year.ts after the real backfill, for their ratio.
 */
import type { GenerationEntry, RunState, StageDoneMarker } from '../../activities/run-state';
import type { StageActivities } from '../../activities/stage-done-markers';
import { addDays } from '../../core/dates';
import type { StageInput, StageResult } from '../../core/stage-io';
import { buildShopEmulatorConfig } from '../../emulator/shop-emulator-config';
import { loadPipelines } from '../../pipelines/registry';
import { parseWorkerConfig, type WorkerConfig } from '../../workers/config';
import { localEnvironment } from '../../local/local-environment';
import { assembleActivities } from '../../workers/worker';
import { backfill } from '../../workflows/backfill';
import { type BackfillBenchArgs, type BenchStack, SHOP_FIRST_DAY } from './bench-stack';
import { type HistoryBreakdown, historyBreakdown } from './history-breakdown';
import { sampleRss } from './peak-rss';
import { ownCpuSeconds, processCpuSeconds } from './process-cpu';

const BUCKET = 'medallion-lake';
const TASK_QUEUE = 'bench-orchestration-floor';

/** The run-state store's contract, kept in a map instead of the lake bucket. */
class MemoryRunState implements RunState {
  private readonly generationsOf = new Map<string, GenerationEntry[]>();
  private readonly doneOf = new Map<string, Record<string, StageResult>>();

  generations(pipeline: string, date: string): Promise<GenerationEntry[]> {
    return Promise.resolve(structuredClone(this.generationsOf.get(`${pipeline}/${date}`) ?? []));
  }

  saveGenerations(pipeline: string, date: string, entries: GenerationEntry[]): Promise<void> {
    this.generationsOf.set(`${pipeline}/${date}`, structuredClone(entries));
    return Promise.resolve();
  }

  markStageDone(pipeline: string, date: string, marker: StageDoneMarker): Promise<void> {
    const done = this.doneOf.get(`${pipeline}/${date}`) ?? {};
    done[marker.result.stageId] = marker.result;
    this.doneOf.set(`${pipeline}/${date}`, done);
    return Promise.resolve();
  }

  doneStages(pipeline: string, date: string): Promise<Record<string, StageResult>> {
    return Promise.resolve({ ...this.doneOf.get(`${pipeline}/${date}`) });
  }
}

/** A stage whose AWS run succeeded the moment it was asked for. */
export function instantStage(input: StageInput): Promise<StageResult> {
  const now = new Date().toISOString();
  return Promise.resolve({
    stageId: input.identity.stageId,
    awsRunId: input.identity.runKey,
    awsState: 'SUCCEEDED',
    attached: false,
    startedAt: now,
    finishedAt: now,
    durationMs: 0,
  });
}

const instantStages: StageActivities = {
  runDmsStage: instantStage,
  runAppFlowStage: instantStage,
  runGlueStage: instantStage,
  runEmrServerlessStage: instantStage,
  runRedshiftStage: instantStage,
};

/** The worker's activities with `stages` for the AWS ones and run state in memory. */
export function floorActivities(config: WorkerConfig, stages: StageActivities = instantStages) {
  // Nothing fails here: the alert activity has nothing to say (one activity per run all the same).
  const noAlerts = { settleAlerts: () => Promise.resolve({ alerted: [], recovered: [], alreadyOpen: [] }) };
  return assembleActivities(stages, new MemoryRunState(), config.environment, loadPipelines(), noAlerts);
}

/** A worker config for the shop with no AWS behind it: the endpoint only has to parse. */
export function floorWorkerConfig(address: string, taskQueue: string): WorkerConfig {
  const emulatorConfig = buildShopEmulatorConfig({ bucket: BUCKET, seed: 42, timeZone: 'Europe/Berlin' });
  return parseWorkerConfig(
    {
      temporal: { address, namespace: 'default', taskQueue },
      environment: localEnvironment('http://127.0.0.1:9', emulatorConfig, BUCKET),
    },
    'bench',
  );
}

export interface FloorFigures {
  days: number;
  done: number;
  failed: number;
  total: number;
  wallMs: number;
  cpu: { worker: number; temporal: number };
  peakRssMb: number;
  /** History events of each daily-run (child) workflow run. */
  childEvents: number[];
  /** With `breakdown`: the daily runs' and the backfill's histories, read after the run. */
  breakdown?: { daily: HistoryBreakdown; backfill: HistoryBreakdown };
}

export async function runFloorBackfill(
  stack: BenchStack,
  { days, maxConcurrent, breakdown }: BackfillBenchArgs,
): Promise<FloorFigures> {
  const rss = sampleRss();
  const config = floorWorkerConfig(stack.devServer.address, TASK_QUEUE);
  const client = await stack.startWorker(config, { activities: floorActivities(config) });
  const to = addDays(SHOP_FIRST_DAY, days - 1);
  const workerCpuBefore = ownCpuSeconds();
  const temporalCpuBefore = processCpuSeconds(stack.devServer.pid);
  const started = Date.now();
  const result = await client.workflow.execute(backfill, {
    taskQueue: TASK_QUEUE,
    workflowId: `shop/backfill/${SHOP_FIRST_DAY}..${to}`,
    args: [{ pipeline: 'shop', from: SHOP_FIRST_DAY, to, maxConcurrent }],
  });
  const wallMs = Date.now() - started;
  const cpu = {
    worker: ownCpuSeconds() - workerCpuBefore,
    temporal: processCpuSeconds(stack.devServer.pid) - temporalCpuBefore,
  };
  const peakRssMb = rss.stop();
  const childEvents: number[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowType = 'dailyPipeline'` }))
    childEvents.push(run.historyLength);
  const { done, failed, total } = result.counts;
  const figures: FloorFigures = { days, done, failed, total, wallMs, cpu, peakRssMb, childEvents };
  if (breakdown) {
    figures.breakdown = {
      daily: await historyBreakdown(client, ['dailyPipeline']),
      backfill: await historyBreakdown(client, ['backfill']),
    };
  }
  return figures;
}

/**
 * What the Temporal side of a shop backfill costs on its own (`npx tsx bench/orchestration-floor.ts
 * [--days 365] [--max-concurrent 4]`): the same backfill and daily-run workflows, the same worker and
 * planning code, on the same Temporal dev server as bench/backfill-year.ts, but every stage activity
 * answers at once and the run-state markers live in memory. No AWS emulator, no AWS SDK call, no SQL.
 *
 * Its wall time is a floor for backfill-year.ts: whatever the AWS side costs comes on top. Prints
 * the CPU seconds per date of the Temporal dev server and of the worker.
 */
import type { GenerationEntry, RunState, StageDoneMarker } from '../activities/run-state';
import type { StageActivities } from '../activities/stage-done-markers';
import { addDays } from '../core/dates';
import type { StageInput, StageResult } from '../core/stage-io';
import { buildShopEmulatorConfig } from '../emulator/shop-emulator-config';
import { loadPipelines } from '../pipelines/registry';
import { parseWorkerConfig } from '../workers/config';
import { localEnvironment } from '../local/local-environment';
import { assembleActivities } from '../workers/worker';
import { backfill } from '../workflows/backfill';
import { backfillBenchArgs, runBench, say, SHOP_FIRST_DAY } from './support/bench-stack';
import { ownCpuSeconds, processCpuSeconds, summarize } from './support/process-cpu';

const FIRST_DAY = SHOP_FIRST_DAY;
const BUCKET = 'medallion-lake';
const TASK_QUEUE = 'bench-orchestration-floor';
const BACKFILL_GOAL_MS = 90_000;

const { days, maxConcurrent } = backfillBenchArgs();

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
function instantStage(input: StageInput): Promise<StageResult> {
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

runBench('floor', async ({ devServer, startWorker }) => {
  const emulatorConfig = buildShopEmulatorConfig({
    bucket: BUCKET,
    seed: 42,
    timeZone: 'Europe/Berlin',
  });
  const config = parseWorkerConfig(
    {
      temporal: { address: devServer.address, namespace: 'default', taskQueue: TASK_QUEUE },
      // No AWS call is made: the endpoint only has to parse.
      environment: localEnvironment('http://127.0.0.1:9', emulatorConfig, BUCKET),
    },
    'bench',
  );
  const stages: StageActivities = {
    runDmsStage: instantStage,
    runAppFlowStage: instantStage,
    runGlueStage: instantStage,
    runEmrServerlessStage: instantStage,
    runRedshiftStage: instantStage,
  };
  const activities = assembleActivities(stages, new MemoryRunState(), config.environment, loadPipelines());
  const client = await startWorker(config, { activities });

  const to = addDays(FIRST_DAY, days - 1);
  say(`backfill of shop ${FIRST_DAY}..${to} (${days} days), maxConcurrent ${maxConcurrent}, no AWS work`);
  const workerCpuBefore = ownCpuSeconds();
  const temporalCpuBefore = processCpuSeconds(devServer.pid);
  const started = Date.now();
  const result = await client.workflow.execute(backfill, {
    taskQueue: TASK_QUEUE,
    workflowId: `shop/backfill/${FIRST_DAY}..${to}`,
    args: [{ pipeline: 'shop', from: FIRST_DAY, to, maxConcurrent }],
  });
  const wallMs = Date.now() - started;
  const cpu = {
    worker: ownCpuSeconds() - workerCpuBefore,
    temporal: processCpuSeconds(devServer.pid) - temporalCpuBefore,
  };
  const events: number[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowType = 'dailyPipeline'` }))
    events.push(run.historyLength);

  const perDateMs = (seconds: number) => ((seconds / days) * 1000).toFixed(0);
  say(`dates: ${result.counts.done} succeeded, ${result.counts.failed} failed of ${result.counts.total}`);
  say(
    `wall time: ${(wallMs / 1000).toFixed(1)} s, ${(wallMs / days).toFixed(0)} ms per date ` +
      `(${((100 * wallMs) / ((BACKFILL_GOAL_MS * days) / 365)).toFixed(0)} % of backfill-year's goal for as many days)`,
  );
  say(
    `CPU: Temporal dev server ${cpu.temporal.toFixed(0)} s (${perDateMs(cpu.temporal)} ms per date), ` +
      `worker ${cpu.worker.toFixed(0)} s (${perDateMs(cpu.worker)} ms per date)`,
  );
  say(
    `worker peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (this process: worker + driver)`,
  );
  say(`child runs: ${events.length}, history events per child run: ${summarize(events)}`);
});

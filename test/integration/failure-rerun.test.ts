/**
 * Failures on the real local stack: a stage whose AWS job fails, then a rerun; a worker killed while a
 * long job runs, then a new worker. A "clean" lane (its own emulator, namespace and worker on the same
 * dev server) runs the same days without trouble; the warehouses must end up equal.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetJobRunCommand } from '@aws-sdk/client-glue';
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dailyRunId } from '../../core/activity-contracts';
import type { PipelineSpecInput } from '../../core/pipeline-spec';
import { stageRunKey } from '../../core/run-key';
import type { DailyRunReport } from '../../core/run-report';
import { failureReport } from '../../cli/failure-report';
import { shopEmulatorNames } from '../../emulator/shop-emulator-config';
import { shopPipeline } from '../../pipelines/shop';
import { productionWorkflowBundle } from '../../local/workflow-bundle-cache';
import { shopDays } from '../support/local-stack/shop-day-expectations';
import { ShopLane, shopWorld } from '../support/local-stack/shop-lane';
import {
  attributeStarts,
  jobIds,
  shopKeyBook,
  startedPerJob,
  startedTwice,
} from '../support/local-stack/start-call-attribution';
import { startTemporalDevServer } from '../support/local-stack/temporal-dev-server';
import { spawnWorkerProcess } from '../support/local-stack/worker-process';

const DATES = ['2025-06-02', '2025-06-03'];
const world = shopWorld(DATES[0]!);
const days = shopDays(world, DATES);
const STAGES = shopPipeline.stages.map((stage) => stage.id);
const LONG_STAGE = 'silver_orders';

/**
 * The shop pipeline, except that a silent worker is noticed after 5 s (not 2 min) and a retry waits
 * 1 s (not 30 s), so whatever the killed worker was running resumes within seconds. Same data, same SQL.
 */
const quickRecoveryShop: PipelineSpecInput = {
  ...shopPipeline,
  stages: shopPipeline.stages.map((stage) => ({
    ...stage,
    timeouts: { ...stage.timeouts, heartbeat: '5s' },
    retry: { ...stage.retry, initialInterval: '1s' },
  })),
};

let env: TestWorkflowEnvironment;
let dataDir: string;
let faulty: ShopLane;
let clean: ShopLane;

async function runOn(lane: ShopLane, dayIndex: number, options: { rerun?: boolean } = {}) {
  await lane.emulator.admin.setSourceClock(days[dayIndex]!.endUtc);
  const before = lane.startCalls().length;
  const outcome = await lane.run(DATES[dayIndex]!, options).then(
    (report) => ({ report, error: undefined }),
    (error: unknown) => ({ report: undefined, error }),
  );
  return { ...outcome, calls: lane.startCalls().slice(before) };
}

function statuses(report: DailyRunReport): Record<string, string> {
  return Object.fromEntries(report.stages.map((stage) => [stage.id, stage.status]));
}

beforeAll(async () => {
  // Failures are the point here: the SDK's warnings about them would only bury real problems.
  env = await startTemporalDevServer({ extraNamespaces: ['clean'], logLevel: 'ERROR' });
  dataDir = await mkdtemp(path.join(tmpdir(), 'medallion-failure-rerun-'));
  const common = {
    world,
    client: env.client,
    nativeConnection: env.nativeConnection,
    address: env.address,
    timing: { transitionMs: 20, runMs: 100 },
    pipeline: quickRecoveryShop,
  };
  faulty = await ShopLane.start({
    ...common,
    name: 'faulty',
    dataDir: path.join(dataDir, 'faulty'),
    namespace: 'default',
  });
  clean = await ShopLane.start({
    ...common,
    client: new Client({ connection: env.connection, namespace: 'clean' }),
    name: 'clean',
    dataDir: path.join(dataDir, 'clean'),
    namespace: 'clean',
  });
}, 120_000);

afterAll(async () => {
  await faulty?.stop();
  await clean?.stop();
  await env?.teardown();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a failed stage, then a rerun', () => {
  it('fails the day, reruns only what did not finish, and loads what a clean run loads', async () => {
    const date = DATES[0]!;
    const book = shopKeyBook(dailyRunId('shop', date), STAGES);
    await faulty.emulator.admin.failNextRuns({
      service: 'emr-serverless',
      name: 'fact_orders',
      // The run and its two job retries.
      count: 3,
      message: 'Scripted: executor lost',
    });

    const first = await runOn(faulty, 0);
    const failed = failureReport(first.error);
    expect(failed?.message).toContain('fact_orders');
    expect(failed?.stages.find((s) => s.id === 'fact_orders')?.error).toContain('Scripted: executor lost');
    expect(statuses(failed!)).toEqual({
      ...Object.fromEntries(STAGES.map((id) => [id, 'succeeded'])),
      fact_orders: 'failed',
      load_fact_orders: 'blocked',
      // The revenue load waits for the order gate stage (pipelines/shop/index.ts).
      load_fact_daily_revenue: 'blocked',
    });

    const rerun = await runOn(faulty, 0, { rerun: true });
    expect(rerun.error).toBeUndefined();
    expect(rerun.report).toMatchObject({ generation: 1, status: 'succeeded' });
    expect(statuses(rerun.report!)).toEqual({
      ...Object.fromEntries(STAGES.map((id) => [id, 'skipped'])),
      fact_orders: 'succeeded',
      load_fact_orders: 'succeeded',
      load_fact_daily_revenue: 'succeeded',
    });
    // The rerun made no Start* call at all for a finished stage, and started the three others once.
    expect(
      attributeStarts(rerun.calls, book)
        .filter(
          (start) => !['fact_orders', 'load_fact_orders', 'load_fact_daily_revenue'].includes(start.jobId),
        )
        .map((start) => `${start.jobId} ${start.call.operation}`),
    ).toEqual([]);
    expect(startedPerJob(rerun.calls, book, 1)).toEqual({
      ...Object.fromEntries(jobIds(book).map((id) => [id, 0])),
      fact_orders: 1,
      load_fact_orders: 1,
      load_fact_daily_revenue: 1,
    });
    // The failed stage ran once per generation, each time under its generation's key.
    const factOrderRuns = attributeStarts(faulty.startCalls(), book).filter(
      (start) => start.jobId === 'fact_orders' && start.call.outcome === 'started',
    );
    expect(factOrderRuns.map((start) => start.call.idempotencyKey)).toEqual([
      stageRunKey(book.workflowId, 'fact_orders', 0),
      stageRunKey(book.workflowId, 'fact_orders', 1),
    ]);
    expect(startedTwice(faulty.startCalls(), book)).toEqual([]);

    const cleanRun = await runOn(clean, 0);
    expect(cleanRun.report).toMatchObject({ generation: 0, status: 'succeeded' });
    const cleanChecksums = await clean.checksums();
    expect(cleanChecksums.every((table) => table.rows > 0)).toBe(true);
    expect(await faulty.checksums()).toEqual(cleanChecksums);
  }, 120_000);
});

describe('a worker crash', () => {
  it('a new worker takes over the long job it left running, which was started once', async () => {
    const date = DATES[1]!;
    const book = shopKeyBook(dailyRunId('shop', date), STAGES);
    const longRunKey = stageRunKey(book.workflowId, LONG_STAGE, 0);
    const bundlePath = path.join(dataDir, 'workflow-bundle.js');
    await writeFile(bundlePath, (await productionWorkflowBundle()).code);
    await faulty.emulator.admin.setDuration({ service: 'glue', name: LONG_STAGE, ms: 8_000 });
    await faulty.emulator.admin.setSourceClock(days[1]!.endUtc);

    await faulty.stopWorker();
    const doomed = await spawnWorkerProcess(
      { config: faulty.config, pipelines: faulty.pipelineDefinitions(), bundlePath },
      dataDir,
    );
    const before = faulty.startCalls().length;
    const handle = await faulty.start(date);
    const longRunId = () => faulty.startCalls().find((call) => call.idempotencyKey === longRunKey)?.runId;
    try {
      // Crash mid-job, once the server holds the long run's id in the stage's heartbeat details.
      await waitFor(
        async () => longRunId() !== undefined && (await heartbeatedRunIds(handle)).includes(longRunId()!),
        30_000,
        `${LONG_STAGE} to start its Glue run and heartbeat its id`,
      );
    } finally {
      await doomed.kill();
    }
    const { JobRun } = await faulty.aws.glue.send(
      new GetJobRunCommand({ JobName: shopEmulatorNames.sqlRunnerJob, RunId: longRunId()! }),
    );
    expect(JobRun?.JobRunState, 'the Glue run outlives the worker that started it').toBe('RUNNING');
    await faulty.startWorker();

    // The result, not followRun: its progress queries would wait on the dead worker's sticky queue.
    const report = await handle.result();
    expect(report).toMatchObject({ generation: 0, status: 'succeeded' });
    expect(report.stages.find((s) => s.id === LONG_STAGE)).toMatchObject({
      status: 'succeeded',
      awsRunId: longRunId(),
      attached: true,
    });
    const calls = faulty.startCalls().slice(before);
    expect(startedPerJob(calls, book, 0)).toEqual(Object.fromEntries(jobIds(book).map((id) => [id, 1])));
    expect(startedTwice(calls, book)).toEqual([]);
    expect(await attemptsOf(handle, LONG_STAGE), 'attempt 2 finished the long stage').toBeGreaterThanOrEqual(
      2,
    );

    expect((await runOn(clean, 1)).report).toMatchObject({ status: 'succeeded' });
    expect(await faulty.checksums()).toEqual(await clean.checksums());
  }, 120_000);
});

/** The attempt that finished a stage's job activity, from the run's history. */
async function attemptsOf(handle: WorkflowHandle, stageId: string): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduledIds = events.flatMap((event) => {
    const data = event.activityTaskScheduledEventAttributes?.input?.payloads?.[0]?.data;
    if (!data) return [];
    const input = JSON.parse(Buffer.from(data).toString('utf8')) as { identity?: { stageId?: string } };
    return input.identity?.stageId === stageId ? [String(event.eventId)] : [];
  });
  const started = events.find(
    (event) =>
      event.activityTaskStartedEventAttributes &&
      scheduledIds.includes(String(event.activityTaskStartedEventAttributes.scheduledEventId)),
  );
  if (!started) throw new Error(`no ActivityTaskStarted event for ${stageId}`);
  return started.activityTaskStartedEventAttributes!.attempt ?? 1;
}

/** Run ids the server holds in the heartbeat details of the run's pending activities. */
async function heartbeatedRunIds(handle: WorkflowHandle): Promise<string[]> {
  const { raw } = await handle.describe();
  return (raw.pendingActivities ?? []).flatMap((activity) => {
    const data = activity.heartbeatDetails?.payloads?.[0]?.data;
    if (!data) return [];
    const beat = JSON.parse(Buffer.from(data).toString('utf8')) as { awsRunId?: string };
    return beat.awsRunId ? [beat.awsRunId] : [];
  });
}

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

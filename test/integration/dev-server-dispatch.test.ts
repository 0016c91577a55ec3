/**
 * The dev servers medallion starts hand a run's tasks to the worker at once. With the server's
 * default per-shard read limit (local/dev-server-tuning.ts) the median wait of a task between
 * scheduled and started was ~45 ms on this machine, and each step of a daily run paid it twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, expect, it } from 'vitest';
import { startDevServer } from '../../local/dev-server';
import { freePort } from '../../local/net';
import { activityChain } from '../support/fixtures/workflows/activity-chain';
import { devServerEnv } from '../../local/temporal-servers';

const { EventType } = temporal.api.enums.v1;
const STEPS = 25;
/** Well above the ~5 ms the tuned server takes under load, well below the untuned server's ~45 ms. */
const MEDIAN_LIMIT_MS = 20;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

type Server = { client: Client; nativeConnection: NativeConnection };

async function testEnvironmentServer(): Promise<Server> {
  const env = await devServerEnv();
  cleanups.push(() => env.teardown());
  return env;
}

async function localStackServer(): Promise<Server> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'medallion-dispatch-'));
  cleanups.push(() => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })));
  const server = await startDevServer(dataDir, await freePort(), await freePort(), { persistent: false });
  cleanups.push(() => server.stop());
  const connection = await Connection.connect({ address: server.address });
  cleanups.push(() => connection.close());
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  cleanups.push(() => nativeConnection.close());
  return { client: new Client({ connection }), nativeConnection };
}

/** Milliseconds from each task's scheduled event to its started event, from the server's own timestamps. */
function scheduleToStartMs(events: temporal.api.history.v1.IHistoryEvent[]): number[] {
  const timeOf = (event: temporal.api.history.v1.IHistoryEvent) =>
    Number(event.eventTime!.seconds) * 1000 + (event.eventTime!.nanos ?? 0) / 1e6;
  const byId = new Map(events.map((event) => [Number(event.eventId), event]));
  return events.flatMap((event) => {
    const scheduledId =
      event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
        ? event.workflowTaskStartedEventAttributes?.scheduledEventId
        : event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
          ? event.activityTaskStartedEventAttributes?.scheduledEventId
          : undefined;
    const scheduled =
      scheduledId === undefined || scheduledId === null ? undefined : byId.get(Number(scheduledId));
    return scheduled ? [timeOf(event) - timeOf(scheduled)] : [];
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

it.each([
  ['the test environment', testEnvironmentServer],
  ['the local stack', localStackServer],
])('the dev server of %s hands each task to the worker without a read delay', async (_, start) => {
  const { client, nativeConnection } = await start();
  const taskQueue = 'dispatch-test';
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: path.resolve(__dirname, '../support/fixtures/workflows/activity-chain.ts'),
    activities: { step: () => Promise.resolve() },
  });
  const handle = await client.workflow.start(activityChain, {
    args: [STEPS],
    workflowId: 'dispatch-chain',
    taskQueue,
  });
  await expect(worker.runUntil(handle.result())).resolves.toBe(STEPS);
  const waits = scheduleToStartMs((await handle.fetchHistory()).events ?? []);
  expect(waits.length).toBeGreaterThanOrEqual(2 * STEPS);
  expect(median(waits)).toBeLessThan(MEDIAN_LIMIT_MS);
});

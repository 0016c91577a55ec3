/**
 * The backfill's own activities heartbeat often enough for the stages' 20 s heartbeat timeout
 * (core/stage-defaults.ts): a worker killed while they wait is noticed in seconds, not after their
 * 30 s poll interval. Timed in milliseconds here: the beat interval and poll interval are scaled down.
 */
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createBackfillActivities } from '../../activities/backfill';
import { HEARTBEAT_TIMEOUT, WAIT_HEARTBEAT_EVERY_MS } from '../../core/stage-defaults';
import { loadPipelines } from '../../pipelines/registry';

const shop = loadPipelines().shop!;

/** A client whose daily run reports RUNNING `running` times, then COMPLETED. */
function clientWithRun(running: number): Client {
  let calls = 0;
  const describe = () =>
    Promise.resolve({ runId: 'r1', status: { name: calls++ < running ? 'RUNNING' : 'COMPLETED' } });
  const client = {
    workflow: { getHandle: () => ({ describe }) },
    withAbortSignal: (_signal: unknown, fn: () => unknown) => fn(),
  };
  return client as unknown as Client;
}

/** Records the time of each heartbeat, relative to the first. */
function beatTimes(env: MockActivityEnvironment): number[] {
  const times: number[] = [];
  env.on('heartbeat', () => times.push(Date.now()));
  return times;
}

describe('backfill activities heartbeat within the stages heartbeat timeout', () => {
  it('beats every 5 s, several times inside the 20 s timeout', () => {
    expect(HEARTBEAT_TIMEOUT).toBe('20s');
    expect(WAIT_HEARTBEAT_EVERY_MS).toBeLessThanOrEqual(5_000);
  });

  it('waitForDailyRun beats between status checks, not only once per poll interval', async () => {
    const env = new MockActivityEnvironment({}, { client: clientWithRun(2) });
    const times = beatTimes(env);
    const activities = createBackfillActivities({
      pipelines: { shop },
      runState: { generations: () => Promise.resolve([]), doneStages: () => Promise.resolve({}) },
      attachPollMs: 400,
      heartbeatEveryMs: 50,
    });
    const outcome = await env.run(activities.waitForDailyRun, { workflowId: 'shop/2026-01-15' } as never);
    expect(outcome).toMatchObject({ status: 'COMPLETED' });
    // Two polls of 400 ms in 50 ms beats: 16 beats; beating once per poll would give 2.
    expect(times.length).toBeGreaterThanOrEqual(14);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.max(...gaps)).toBeLessThan(400);
  });

  it('describeBackfill beats while a slow batch of reads is in flight', async () => {
    const env = new MockActivityEnvironment();
    const times = beatTimes(env);
    const slow = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 300));
    const activities = createBackfillActivities({
      pipelines: { shop },
      runState: { generations: () => slow([]), doneStages: () => slow({}) },
      heartbeatEveryMs: 50,
    });
    await env.run(activities.describeBackfill, {
      pipeline: 'shop',
      from: '2026-01-15',
      to: '2026-01-15',
      nowUtc: '2026-03-01T00:00:00Z',
    } as never);
    // One batch taking 300 ms: beats on the 50 ms timer, not once after the batch.
    expect(times.length).toBeGreaterThanOrEqual(4);
  });
});

/**
 * `medallion run` / `backfill` follow a run through its progress query, which a worker answers. With
 * no worker on the task queue the CLI must say so within seconds instead of freezing.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { followBackfill } from '../../cli/commands/backfill';
import { followRun } from '../../cli/daily-runs';
import { dailyPipeline } from '../../workflows';
import { backfill } from '../../workflows/backfill';
import { timeSkippingEnv } from '../../local/temporal-servers';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

async function eventually(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('medallion run: says no worker answered, naming the task queue, then ends with the run', async () => {
  const handle = await env.client.workflow.start(dailyPipeline, {
    taskQueue: 'nobody-polls-this',
    workflowId: 'follow-run-without-worker',
    args: [{ pipeline: 'shop', logicalDate: '2025-01-01' }],
  });
  const lines: string[] = [];
  const following = followRun(handle, (line) => lines.push(line), 100).catch((error: unknown) => error);
  await eventually(() => lines.length > 0, 8_000);
  expect(lines).toEqual([
    expect.stringMatching(/^no worker answered the progress query in 3 s: .*"nobody-polls-this"/),
  ]);
  await handle.terminate('test over');
  expect(await following).toBeInstanceOf(Error);
  expect(lines).toHaveLength(1);
}, 20_000);

it('medallion backfill: says the same once, on its own line', async () => {
  const handle = await env.client.workflow.start(backfill, {
    taskQueue: 'nobody-polls-that',
    workflowId: 'follow-backfill-without-worker',
    args: [{ pipeline: 'shop', from: '2025-01-01', to: '2025-01-02' }],
  });
  const written: string[] = [];
  const following = followBackfill(handle, { write: (text) => written.push(text) }, 100).catch(
    (error: unknown) => error,
  );
  await eventually(() => written.length > 0, 8_000);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(written).toEqual([expect.stringMatching(/^no worker answered .*"nobody-polls-that".*\n$/)]);
  await handle.terminate('test over');
  expect(await following).toBeInstanceOf(Error);
}, 20_000);

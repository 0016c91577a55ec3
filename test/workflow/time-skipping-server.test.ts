import path from 'node:path';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { timeSkippingEnv } from '../../local/temporal-servers';
import { sleepForDays } from '../support/fixtures/workflows/sleeper';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

it('sleeps 7 days of workflow time in a few seconds of wall time', async () => {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'time-skipping-test',
    workflowsPath: path.resolve(__dirname, '../support/fixtures/workflows/sleeper.ts'),
  });
  const started = performance.now();
  const result = await worker.runUntil(
    env.client.workflow.execute(sleepForDays, {
      args: [7],
      workflowId: 'sleeper',
      taskQueue: 'time-skipping-test',
    }),
  );
  const wallMs = performance.now() - started;
  expect(result).toBe('slept 7 days');
  expect(wallMs).toBeLessThan(15_000);
  // And the server's clock really moved a week ahead.
  const now = await env.currentTimeMs();
  expect(now - Date.now()).toBeGreaterThan(6.9 * 24 * 3600_000);
});

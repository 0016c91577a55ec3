import path from 'node:path';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { devServerEnv } from '../../local/temporal-servers';
import { sleepForDays } from '../support/fixtures/workflows/sleeper';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await devServerEnv();
});

afterAll(async () => {
  await env?.teardown();
});

it('runs a workflow to completion through a real worker on the dev server', async () => {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'dev-server-test',
    workflowsPath: path.resolve(__dirname, '../support/fixtures/workflows/sleeper.ts'),
  });
  const handle = await env.client.workflow.start(sleepForDays, {
    args: [0],
    workflowId: 'dev-server-sleeper',
    taskQueue: 'dev-server-test',
  });
  await expect(worker.runUntil(handle.result())).resolves.toBe('slept 0 days');
  const description = await handle.describe();
  expect(description.status.name).toBe('COMPLETED');
});

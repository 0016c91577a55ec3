/**
 * Temporal test environments backed by the binaries scripts/provision.ts put in the cache
 * (or the SDK's own download where they could not be provisioned).
 */
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEV_SERVER_TUNING_ARGS } from './dev-server-tuning';
import { devServerExecutable, testServerExecutable } from './temporal-binaries';
import { searchAttributeKeys } from '../core/search-attributes';
import { ensureSearchAttributes } from '../workers/search-attributes';

let runtimeInstalled = false;

/** Keeps test output readable: the SDK's INFO logs drown failures. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by another helper in this process.
  }
}

export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: testServerExecutable() },
  });
  await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/** An in-memory dev server with medallion's search attributes and tuning; `extraArgs` go to `start-dev`. */
export async function devServerEnv(extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: devServerExecutable(),
      ip: '127.0.0.1',
      searchAttributes: Object.values(searchAttributeKeys),
      extraArgs: [...DEV_SERVER_TUNING_ARGS, ...extraArgs],
    },
  });
}

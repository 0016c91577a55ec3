/**
 * The real local stack for a test file: a Temporal dev server (with UI) on ports picked for this file,
 * so test files running side by side never race for 7233/8233, plus the AWS emulator and the
 * production worker from local/local-stack.ts, all in a temporary data directory.
 * startLocalStack installs the Temporal Runtime: one stack per test file (vitest forks per file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type DevServer, startDevServer } from '../../../local/dev-server';
import { type LocalStack, startLocalStack } from '../../../local/local-stack';
import { freePort } from '../../../local/net';

export interface TestStack {
  stack: LocalStack;
  devServer: DevServer;
  dataDir: string;
  taskQueue: string;
  stop(): Promise<void>;
}

export async function startTestStack(firstDay: string): Promise<TestStack> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'medallion-test-stack-'));
  const devServer = await startDevServer(dataDir, await freePort(), await freePort(), { persistent: false });
  // startLocalStack uses a running server when TEMPORAL_ADDRESS is set (this fork only).
  process.env.TEMPORAL_ADDRESS = devServer.address;
  try {
    const stack = await startLocalStack({ dataDir, firstDay, say: () => undefined });
    return {
      stack,
      devServer,
      dataDir,
      taskQueue: stack.config.temporal.taskQueue,
      async stop() {
        await stack.stop();
        await devServer.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await devServer.stop();
    throw error;
  }
}

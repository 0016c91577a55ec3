/**
 * What the backfill benches share: a throw-away data directory and in-memory Temporal dev server, the
 * production worker in this process (on a workflow bundle built beforehand, as the image does), a
 * client, and a clean stop of all of it however the bench ends (an interrupting signal included). One process may run several stacks
 * one after the other (backfill-year.ts runs the orchestration floor after the real backfill).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime, type WorkerOptions } from '@temporalio/worker';
import { type DevServer, startDevServer } from '../../local/dev-server';
import { freePort } from '../../local/net';
import type { WorkerConfig } from '../../workers/config';
import { createMedallionWorker } from '../../workers/worker';
import { stopOnSignal } from './stop-on-signal';

/** The shop's first day (DMS full load): a year's backfill starts there. */
export const SHOP_FIRST_DAY = '2025-01-01';

export interface BackfillBenchArgs {
  days: number;
  maxConcurrent: number;
  /** Read every workflow run's history after the floor and print where its time went. */
  breakdown: boolean;
}

/**
 * `--days` (1 to 366, default 365), `--max-concurrent` (default 4) and `--breakdown` of a backfill
 * bench.
 */
export function backfillBenchArgs(defaultDays = 365): BackfillBenchArgs {
  const { values } = parseArgs({
    options: {
      days: { type: 'string', default: String(defaultDays) },
      'max-concurrent': { type: 'string', default: '4' },
      breakdown: { type: 'boolean', default: false },
    },
  });
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 366) throw new Error('--days: use 1 to 366');
  const maxConcurrent = Number(values['max-concurrent']);
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1 || maxConcurrent > 32)
    throw new Error('--max-concurrent: use 1 to 32 (the backfill input maxConcurrent)');
  return { days, maxConcurrent, breakdown: values.breakdown };
}

export const say = (line: string) => process.stdout.write(`${line}\n`);

export interface BenchStack {
  dataDir: string;
  devServer: DevServer;
  /** Registers a stop; stops run in reverse order when the stack ends. */
  onStop(stop: () => Promise<unknown>): void;
  /** Runs the medallion worker in this process until the stack ends; returns a client of the server. */
  startWorker(config: WorkerConfig, overrides?: Partial<WorkerOptions>): Promise<Client>;
}

/**
 * Builds the workflow bundle in a child process, as the image does at build time, and points the
 * worker at it (MEDALLION_WORKFLOW_BUNDLE): webpack's memory is then not the worker's, in production
 * or here, so this process's peak RSS is what a worker of the image would reach.
 */
function usePrebuiltWorkflowBundle(): void {
  if (process.env.MEDALLION_WORKFLOW_BUNDLE) return;
  // Outlives the stacks of this process: each of them loads it.
  const dir = mkdtempSync(path.join(tmpdir(), 'medallion-bench-bundle-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'workflow-bundle.js');
  const built = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.resolve(__dirname, '../../workers/build-workflow-bundle.ts'), file],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (built.status !== 0) throw new Error(`building the workflow bundle exited with ${built.status}`);
  process.env.MEDALLION_WORKFLOW_BUNDLE = file;
}

/** Runs `body` on a fresh stack (its own data directory and dev server) and stops all of it after. */
export async function withBenchStack<T>(name: string, body: (stack: BenchStack) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `medallion-bench-${name}-`));
  const stops: (() => Promise<unknown>)[] = [];
  // Run once, by whichever comes first: the end of `body` or a signal (stop-on-signal.ts).
  const stopStack = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const forget = stopOnSignal(stopStack);
  try {
    const devServer = await startDevServer(dataDir, await freePort(), await freePort(), {
      persistent: false,
    });
    stops.push(() => devServer.stop());
    return await body({
      dataDir,
      devServer,
      onStop: (stop) => stops.push(stop),
      startWorker: async (config, overrides = {}) => {
        if (!overrides.workflowsPath && !overrides.workflowBundle) usePrebuiltWorkflowBundle();
        const { worker, connection: workerConnection } = await createMedallionWorker(config, overrides);
        const running = worker.run();
        stops.push(async () => {
          worker.shutdown();
          await running;
          await workerConnection.close();
        });
        const connection = await Connection.connect({ address: devServer.address });
        stops.push(() => connection.close());
        return new Client({ connection });
      },
    });
  } finally {
    forget();
    await stopStack();
  }
}

/** Runs `main` with the SDK's logs at WARN and exits the process with its outcome. */
export function runMain(main: () => Promise<void>): void {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

/** Runs `bench` on a fresh stack, stops everything, and exits the process with its outcome. */
export function runBench(name: string, bench: (stack: BenchStack) => Promise<void>): void {
  runMain(() => withBenchStack(name, bench));
}

/**
 * What the backfill benches share: a throw-away data directory and in-memory Temporal dev server, the
 * production worker in this process, a client, and a clean stop of all of it however the bench ends.
 */
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

/** The shop's first day (DMS full load): a year's backfill starts there. */
export const SHOP_FIRST_DAY = '2025-01-01';

/** `--days` (1 to 366, default 365) and `--max-concurrent` (default 4) of a backfill bench. */
export function backfillBenchArgs(): { days: number; maxConcurrent: number } {
  const { values } = parseArgs({
    options: {
      days: { type: 'string', default: '365' },
      'max-concurrent': { type: 'string', default: '4' },
    },
  });
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 366) throw new Error('--days: use 1 to 366');
  return { days, maxConcurrent: Number(values['max-concurrent']) };
}

export const say = (line: string) => process.stdout.write(`${line}\n`);

export interface BenchStack {
  dataDir: string;
  devServer: DevServer;
  /** Registers a stop; stops run in reverse order when the bench ends. */
  onStop(stop: () => Promise<unknown>): void;
  /** Runs the medallion worker in this process until the bench ends; returns a client of the server. */
  startWorker(config: WorkerConfig, overrides?: Partial<WorkerOptions>): Promise<Client>;
}

/** Runs `bench` on a fresh stack, stops everything, and exits the process with its outcome. */
export function runBench(name: string, bench: (stack: BenchStack) => Promise<void>): void {
  const run = async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const dataDir = mkdtempSync(path.join(tmpdir(), `medallion-bench-${name}-`));
    const stops: (() => Promise<unknown>)[] = [];
    try {
      const devServer = await startDevServer(dataDir, await freePort(), await freePort(), {
        persistent: false,
      });
      stops.push(() => devServer.stop());
      await bench({
        dataDir,
        devServer,
        onStop: (stop) => stops.push(stop),
        startWorker: async (config, overrides) => {
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
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

/**
 * Local mode in one process: the Temporal dev server (unless TEMPORAL_ADDRESS points elsewhere), the
 * AWS emulator on DuckDB, and a medallion worker running the real activities against it.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { pino } from 'pino';
import { buildShopEmulatorConfig } from '../emulator/shop-emulator-config';
import { badDaysFrom } from '../emulator/sources/bad-days';
import { createShopSimulator } from '../emulator/sources/shop-simulator';
import { type RunningEmulator, startEmulator } from '../emulator/start-emulator';
import { loadPipelines } from '../pipelines/registry';
import { parseWorkerConfig, type WorkerConfig } from '../workers/config';
import { localEnvironment } from './local-environment';
import { createMedallionWorker } from '../workers/worker';
import { type DevServer, startDevServer } from './dev-server';
import { badDaysFile, loadOrCreateWorld, saveEndpoints, type LocalWorld, worldEpoch } from './local-state';

export interface LocalStack {
  config: WorkerConfig;
  client: Client;
  emulator: RunningEmulator;
  devServer?: DevServer;
  uiUrl?: string;
  world: LocalWorld;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  dataDir: string;
  firstDay: string;
  emulatorPort?: number;
  say: (line: string) => void;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { dataDir, say } = options;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const world = loadOrCreateWorld(dataDir, options.firstDay);
  const shop = loadPipelines().shop!;
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    let devServer: DevServer | undefined;
    let address = process.env.TEMPORAL_ADDRESS;
    let uiUrl: string | undefined;
    if (address) {
      say(`Temporal: using the server at ${address} (TEMPORAL_ADDRESS)`);
    } else {
      say(
        'Temporal: starting the dev server (SQLite in the data directory, so history survives restarts)...',
      );
      devServer = await startDevServer(dataDir);
      stops.push(() => devServer!.stop());
      address = devServer.address;
      uiUrl = devServer.uiUrl;
      say(`Temporal: dev server at ${address}, UI at ${uiUrl}`);
    }

    const emulator = await startEmulator({
      dataDir: path.join(dataDir, 'aws'),
      port: options.emulatorPort ?? 0,
      config: buildShopEmulatorConfig({
        bucket: world.bucket,
        seed: world.seed,
        timeZone: shop.timeZone,
      }),
      sources: createShopSimulator({ epochUtc: worldEpoch(world) }, badDaysFrom(badDaysFile(dataDir))),
      logger: pino({ level: 'warn' }, pino.destination(2)),
    });
    stops.push(() => emulator.stop());
    say(
      `AWS emulator: ${emulator.endpoint} (S3, Glue, EMR Serverless, DMS, AppFlow, Redshift Data on DuckDB, SNS)`,
    );

    const config = parseWorkerConfig(
      {
        temporal: { address, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default', taskQueue: 'medallion' },
        environment: localEnvironment(emulator.endpoint, emulator.config, world.bucket, uiUrl),
      },
      'local defaults',
    );
    // Cancellation reaches an activity with its next heartbeat: flush them within a second locally.
    const { worker, connection: workerConnection } = await createMedallionWorker(config, {
      maxHeartbeatThrottleInterval: '1s',
    });
    const running = runInBackground(worker);
    stops.push(async () => {
      worker.shutdown();
      await running;
      await workerConnection.close();
    });
    say(`Worker: polling task queue "${config.temporal.taskQueue}"`);

    const connection = await Connection.connect({ address });
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: config.temporal.namespace });
    saveEndpoints(dataDir, {
      temporalAddress: address,
      ...(uiUrl ? { uiUrl } : {}),
      environment: config.environment,
      pid: process.pid,
    });
    return {
      config,
      client,
      emulator,
      world,
      stop,
      ...(devServer ? { devServer } : {}),
      ...(uiUrl ? { uiUrl } : {}),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function runInBackground(worker: Worker): Promise<void> {
  return worker.run().catch((error: unknown) => {
    process.stderr.write(
      `medallion worker stopped: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  });
}

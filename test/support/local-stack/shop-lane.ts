/**
 * One `shop` deployment for integration tests, built from the parts `medallion start` uses
 * (local/local-stack.ts): an AWS emulator on its own data directory, the local environment
 * pointing at it, and a medallion worker (real activities, production workflow bundle) on its own task
 * queue and namespace of a shared dev server. The worker can be stopped and started again; runs are
 * started and followed with the CLI's own startDailyRun / followRun.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { type NativeConnection, Worker } from '@temporalio/worker';
import { pino } from 'pino';
import type { AwsClients } from '../../../activities';
import { parseS3Uri } from '../../../core/lake-layout';
import type { PipelineSpecInput } from '../../../core/pipeline-spec';
import type { DailyRunReport } from '../../../core/run-report';
import { followRun, startDailyRun } from '../../../cli/daily-runs';
import { type TableChecksum, warehouseChecksums } from '../../../cli/run-summary';
import type { WarehouseQuery } from '../../../activities/warehouse-query';
import type { RedshiftRow as WarehouseRow } from '../../../activities/redshift-data';
import type { EmulatorConfigInput } from '../../../emulator/emulator-config';
import { buildShopEmulatorConfig } from '../../../emulator/shop-emulator-config';
import { badDaysFrom } from '../../../emulator/sources/bad-days';
import { createShopSimulator, type ShopSimulationOptions } from '../../../emulator/sources/shop-simulator';
import { type RunningEmulator, startEmulator } from '../../../emulator/start-emulator';
import type { StartCall } from '../../../emulator/scripting/start-call-log';
import { loadPipelines, pipelineDefinitions } from '../../../pipelines/registry';
import { buildAwsClients, warehouseQueryFor } from '../../../workers/aws-clients';
import { parseWorkerConfig, type WorkerConfig } from '../../../workers/config';
import { localEnvironment } from '../../../local/local-environment';
import { badDaysFile } from '../../../local/local-state';
import { buildActivities, WORKER_HEARTBEAT_THROTTLE } from '../../../workers/worker';
import { productionWorkflowBundle } from '../../../local/workflow-bundle-cache';

export const SHOP_TIME_ZONE = 'Europe/Berlin';

/** What makes two lanes produce the same data: the simulator's seed and epoch, the first day. */
export interface ShopWorld {
  seed: number;
  bucket: string;
  firstDay: string;
  options: ShopSimulationOptions;
}

export function shopWorld(firstDay: string, seed = 42): ShopWorld {
  // As local mode does (local/local-state.ts, local-stack.ts): the shop opens on the first day.
  return {
    seed,
    bucket: 'medallion-lake',
    firstDay,
    options: { epochUtc: new Date(`${firstDay}T00:00:00Z`) },
  };
}

export interface ShopLaneOptions {
  name: string;
  dataDir: string;
  world: ShopWorld;
  client: Client;
  /** For the lane's in-process worker; without it the lane has none (the test runs worker processes). */
  nativeConnection?: NativeConnection;
  address: string;
  namespace: string;
  /** Emulated run timing (default: the emulator's, ~0.5 s per job). */
  timing?: EmulatorConfigInput['timing'];
  /** The shop pipeline with per-stage overrides (timeouts, retry) the test needs. */
  pipeline?: PipelineSpecInput;
  /**
   * Break the days `medallion bad-day` (local/bad-day-switch.ts) writes into this lane's data
   * directory, as local mode does; off by default.
   */
  badDays?: boolean;
}

export interface RunOptions {
  rerun?: boolean;
  stages?: string[];
}

export class ShopLane {
  readonly taskQueue: string;
  readonly config: WorkerConfig;
  readonly aws: AwsClients;
  readonly warehouse: WarehouseQuery;
  private worker: { worker: Worker; running: Promise<void> } | undefined;

  private constructor(
    readonly options: ShopLaneOptions,
    readonly emulator: RunningEmulator,
  ) {
    this.taskQueue = `medallion-${options.name}`;
    this.config = parseWorkerConfig(
      {
        temporal: { address: options.address, namespace: options.namespace, taskQueue: this.taskQueue },
        environment: localEnvironment(emulator.endpoint, emulator.config, options.world.bucket),
      },
      `${options.name} lane`,
      {},
    );
    this.aws = buildAwsClients(this.config.environment, {});
    this.warehouse = warehouseQueryFor(this.config.environment, {});
  }

  static async start(options: ShopLaneOptions): Promise<ShopLane> {
    const { world } = options;
    const emulator = await startEmulator({
      dataDir: path.join(options.dataDir, 'aws'),
      config: buildShopEmulatorConfig({
        bucket: world.bucket,
        seed: world.seed,
        timeZone: SHOP_TIME_ZONE,
        ...(options.timing ? { timing: options.timing } : {}),
      }),
      sources: createShopSimulator(
        world.options,
        // Only the lane's file: MEDALLION_BAD_DAYS of the shell that runs the tests must not break it.
        options.badDays ? badDaysFrom(badDaysFile(options.dataDir), {}) : undefined,
      ),
      logger: pino({ level: 'error' }),
    });
    const lane = new ShopLane(options, emulator);
    if (options.nativeConnection) await lane.startWorker();
    return lane;
  }

  get client(): Client {
    return this.options.client;
  }

  get world(): ShopWorld {
    return this.options.world;
  }

  /** Pipelines this lane's workers know: the registry's, with the test's shop variant if any. */
  pipelineDefinitions(): PipelineSpecInput[] {
    const variant = this.options.pipeline;
    return variant ? [variant] : [...pipelineDefinitions];
  }

  async startWorker(): Promise<void> {
    if (this.worker) throw new Error(`the ${this.options.name} lane's worker is already running`);
    const connection = this.options.nativeConnection;
    if (!connection) throw new Error(`the ${this.options.name} lane was built without a worker connection`);
    const worker = await Worker.create({
      connection,
      namespace: this.options.namespace,
      taskQueue: this.taskQueue,
      workflowBundle: await productionWorkflowBundle(),
      activities: buildActivities(this.config, loadPipelines(this.pipelineDefinitions())),
      maxHeartbeatThrottleInterval: WORKER_HEARTBEAT_THROTTLE,
    });
    const running = worker.run().catch((error: unknown) => {
      process.stderr.write(`${this.options.name} worker stopped: ${String(error)}\n`);
    });
    this.worker = { worker, running };
  }

  async stopWorker(): Promise<void> {
    const current = this.worker;
    if (!current) return;
    this.worker = undefined;
    current.worker.shutdown();
    await current.running;
  }

  start(logicalDate: string, options: RunOptions = {}) {
    return startDailyRun(this.client, {
      pipeline: 'shop',
      logicalDate,
      taskQueue: this.taskQueue,
      ...options,
    });
  }

  /** Starts a day and follows it to its end, as `medallion run` does. */
  async run(logicalDate: string, options: RunOptions = {}): Promise<DailyRunReport> {
    return followRun(await this.start(logicalDate, options), () => undefined, 200);
  }

  query(sql: string): Promise<WarehouseRow[]> {
    return this.warehouse(sql);
  }

  checksums(): Promise<TableChecksum[]> {
    return warehouseChecksums(this.warehouse);
  }

  startCalls(): StartCall[] {
    return this.emulator.admin.startCalls();
  }

  /** The local file of an s3:// URI in this lane's lake. */
  lakePath(uri: string): string {
    const { bucket, key } = parseS3Uri(uri);
    return path.join(this.emulator.dataDir, 'lake', bucket, key);
  }

  async stop(): Promise<void> {
    await this.stopWorker();
    await this.emulator.stop();
  }
}

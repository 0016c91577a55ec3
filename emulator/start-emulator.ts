import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Logger, pino } from 'pino';
import { type EmulatorConfig, type EmulatorConfigInput, parseEmulatorConfig } from './emulator-config';
import { adminHandler } from './http/admin-routes';
import type { ServiceHandler } from './http/aws-request';
import { close, listen } from './http/http-server';
import type { RunJobManifest } from './jobs/job-runner-api';
import { runJobManifest as duckDbJobRunner } from './jobs/run-manifest';
import { Lake } from './lake';
import { AppendLog } from './runtime/append-log';
import { createClock } from './runtime/clock';
import { lockDataDir } from './runtime/data-dir-lock';
import { InFlightWork } from './runtime/in-flight-work';
import { RecordStore, type RecordStoreOptions } from './runtime/record-store';
import { Scheduler } from './runtime/scheduler';
import { StateFile } from './runtime/state-file';
import { createCallGate } from './scripting/call-gate';
import { type EmulatorAdmin, createEmulatorAdmin } from './scripting/emulator-admin';
import { ScriptBook } from './scripting/script-book';
import type { EmulatorScript } from './scripting/script-rules';
import { type StartCall, StartCallLog } from './scripting/start-call-log';
import { createAppFlowService } from './services/appflow/appflow-service';
import { createDmsService } from './services/dms/dms-service';
import { createEmrServerlessService } from './services/emr-serverless/emr-serverless-service';
import { createGlueService } from './services/glue/glue-service';
import { createRedshiftDataService } from './services/redshift-data/redshift-data-service';
import { createS3Service } from './services/s3/s3-service';
import { createSnsService, type SnsMessages } from './services/sns/sns-service';
import type { EmulatedService, ServiceContext } from './services/service-context';
import { createShopSimulator } from './sources/shop-simulator';
import type { SourceSimulator } from './sources/source-api';

export interface StartEmulatorOptions {
  /** Where the lake, the warehouse and the emulator's state live; created if missing. */
  dataDir: string;
  /** 0 (default) picks a free port. The server binds 127.0.0.1 only. */
  port?: number;
  /** Resources and timing; validated (a bad field is named by its path). Default: no resources. */
  config?: EmulatorConfigInput;
  /** The simulated sources DMS and AppFlow read. Default: the shop simulator with its defaults. */
  sources?: SourceSimulator;
  /** Executes a Glue / EMR Serverless job's manifest. Default: the DuckDB job runner. */
  runJobManifest?: RunJobManifest;
  /** Default: warnings and errors to stderr. */
  logger?: Logger;
}

export interface RunningEmulator {
  /** http://127.0.0.1:<port>: set as AWS_ENDPOINT_URL (S3 needs forcePathStyle). */
  endpoint: string;
  dataDir: string;
  config: EmulatorConfig;
  admin: EmulatorAdmin;
  /** What SNS Publish accepted (the emulator delivers to no subscriber): the local alerts. */
  sns: SnsMessages;
  /** Stops accepting calls, lets in-flight work settle, saves state. Runs resume on the next start. */
  stop(): Promise<void>;
}

/**
 * Starts the local AWS: S3, Glue, EMR Serverless, DMS, AppFlow and Redshift Data behind one endpoint,
 * with state in `dataDir`, so a restarted emulator still knows (and finishes) its runs.
 */
export async function startEmulator(options: StartEmulatorOptions): Promise<RunningEmulator> {
  const config = parseEmulatorConfig(options.config ?? {});
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const unlock = await lockDataDir(dataDir);
  try {
    return await boot(options, config, dataDir, unlock);
  } catch (error) {
    await unlock();
    throw error;
  }
}

async function boot(
  options: StartEmulatorOptions,
  config: EmulatorConfig,
  dataDir: string,
  unlock: () => Promise<void>,
): Promise<RunningEmulator> {
  const log = options.logger ?? pino({ level: 'warn' });
  const openState = <T>(name: string, initial: () => T, persisted?: (data: T) => unknown) =>
    StateFile.open<T>(join(dataDir, 'state', `${name}.json`), initial, persisted);
  const openRecords = <T>(name: string, recordOptions: RecordStoreOptions<T>) =>
    RecordStore.open<T>(join(dataDir, 'state', name), recordOptions);

  const scriptFile = await openState<EmulatorScript>('script', () => structuredClone(config.script));
  const script = new ScriptBook(scriptFile);
  const calls = new StartCallLog(
    await AppendLog.open<StartCall>(join(dataDir, 'state', 'start-calls.jsonl')),
  );
  const clock = createClock(() => script.sourceClock());
  const work = new InFlightWork((error) => log.error({ err: error }, 'emulator background work failed'));
  const scheduler = new Scheduler(work, () => clock.now());
  const lake = new Lake(dataDir);
  for (const bucket of bucketsOf(config)) await lake.ensureBucket(bucket);

  const ctx: ServiceContext = {
    config,
    dataDir,
    lake,
    clock,
    scheduler,
    work,
    script,
    calls,
    gate: createCallGate(script, calls),
    log,
    sources: options.sources ?? createShopSimulator(),
    runJobManifest: options.runJobManifest ?? duckDbJobRunner,
    openState,
    openRecords,
  };
  const services: EmulatedService[] = [
    createS3Service(ctx),
    await createGlueService(ctx),
    await createEmrServerlessService(ctx),
    await createDmsService(ctx),
    await createAppFlowService(ctx),
    await createRedshiftDataService(ctx),
  ];
  const snsService = await createSnsService(ctx);
  services.push(snsService);
  const admin = createEmulatorAdmin(script, calls, () => services.forEach((s) => s.sourceClockChanged?.()));
  let endpoint = '';
  const { server, endpoint: url } = await listen(
    {
      services: new Map<string, ServiceHandler>(services.map((s) => [s.signingName, s.handler])),
      admin: adminHandler(admin, () => ({ endpoint, dataDir }), {
        'GET sns/messages': (_body, query) => snsService.sns.messages(query.get('topic') ?? undefined),
      }),
      log,
      track: (task) => work.start(task),
    },
    options.port ?? 0,
  );
  endpoint = url;
  for (const service of services) service.resume();

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    dataDir,
    config,
    admin,
    sns: snsService.sns,
    stop: () =>
      (stopping ??= (async () => {
        await close(server);
        scheduler.stop();
        await work.drain();
        for (const service of services) await service.close?.();
        await scriptFile.save();
        await unlock();
      })()),
  };
}

/** Buckets that must exist: the configured ones and those the flows and DMS tasks write to. */
function bucketsOf(config: EmulatorConfig): Set<string> {
  return new Set([
    ...config.s3.buckets,
    ...config.appflow.flows.map((f) => f.bucket),
    ...config.dms.tasks.map((t) => t.outputUri.slice('s3://'.length).split('/')[0]!),
  ]);
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppflowClient } from '@aws-sdk/client-appflow';
import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { EMRServerlessClient } from '@aws-sdk/client-emr-serverless';
import { GlueClient } from '@aws-sdk/client-glue';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import type { EmulatorConfigInput } from '../../emulator/emulator-config';
import type { RunJobManifest } from '../../emulator/jobs/job-runner-api';
import type { SourceSimulator } from '../../emulator/sources/source-api';
import { type RunningEmulator, startEmulator } from '../../emulator/start-emulator';
import { FakeRunner, FakeSources } from './fake-data-plane';

export const LAKE = 'lake-bucket';

/** Fast timing for tests: short intermediate states, short runs, a 200 ms "minute" for timeouts. */
export const FAST_TIMING = { transitionMs: 20, runMs: 60, minuteMs: 200 };

/** SDK v3 clients pointed at the emulator, with dummy credentials and no SDK retries (so faults show). */
export function sdkClients(endpoint: string) {
  const common = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' },
    maxAttempts: 1,
  };
  return {
    s3: new S3Client({ ...common, forcePathStyle: true }),
    glue: new GlueClient(common),
    emr: new EMRServerlessClient(common),
    dms: new DatabaseMigrationServiceClient(common),
    appflow: new AppflowClient(common),
    redshift: new RedshiftDataClient(common),
    sns: new SNSClient(common),
  };
}

export type SdkClients = ReturnType<typeof sdkClients>;

export interface TestEmulator {
  emulator: RunningEmulator;
  clients: SdkClients;
  sources: FakeSources;
  runner: FakeRunner;
  dataDir: string;
  /** Stops the emulator and starts a new one on the same data directory (same fakes unless given). */
  restart(overrides?: { sources?: SourceSimulator; runJobManifest?: RunJobManifest }): Promise<void>;
  close(): Promise<void>;
}

export async function newDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'medallion-emulator-'));
}

/** Starts an emulator on a fresh data directory with the fake data plane. */
export async function startTestEmulator(
  config: EmulatorConfigInput,
  dataDir?: string,
): Promise<TestEmulator> {
  const dir = dataDir ?? (await newDataDir());
  const sources = new FakeSources();
  const runner = new FakeRunner();
  const fullConfig: EmulatorConfigInput = { timing: FAST_TIMING, ...config };
  const start = (overrides: { sources?: SourceSimulator; runJobManifest?: RunJobManifest } = {}) =>
    startEmulator({
      dataDir: dir,
      config: fullConfig,
      sources: overrides.sources ?? sources,
      runJobManifest: overrides.runJobManifest ?? runner.run,
    });
  const fixture: TestEmulator = {
    emulator: await start(),
    clients: undefined as unknown as SdkClients,
    sources,
    runner,
    dataDir: dir,
    restart: async (overrides) => {
      await fixture.emulator.stop();
      fixture.emulator = await start(overrides);
      fixture.clients = sdkClients(fixture.emulator.endpoint);
    },
    close: async () => {
      await fixture.emulator.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  fixture.clients = sdkClients(fixture.emulator.endpoint);
  return fixture;
}

/** Polls `read` until `done` holds (or fails after `timeoutMs`), returning the last value. */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not reached within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

/** The resources of `startJobServicesEmulator`, named by each test file so their runs stay apart. */
export interface JobServiceNames {
  glueJob: string;
  glueMaxConcurrentRuns: number;
  emrApplication: string;
  flow: string;
  dmsTask: string;
}

/**
 * An emulator with one resource of each job service: a Glue job, an EMR Serverless application, an
 * AppFlow flow over `accounts` and a cdc-only DMS task over `shop.orders`, all writing to LAKE.
 */
export function startJobServicesEmulator(
  names: JobServiceNames,
  extra: Omit<EmulatorConfigInput, 's3' | 'glue' | 'emrServerless' | 'appflow' | 'dms'> = {},
): Promise<TestEmulator> {
  return startTestEmulator({
    s3: { buckets: [LAKE] },
    glue: { jobs: [{ name: names.glueJob, maxConcurrentRuns: names.glueMaxConcurrentRuns }] },
    emrServerless: { applications: [{ id: names.emrApplication }] },
    appflow: { flows: [{ name: names.flow, object: 'accounts', bucket: LAKE, seed: 3 }] },
    dms: {
      tasks: [
        {
          id: names.dmsTask,
          schema: 'shop',
          tables: ['orders'],
          seed: 7,
          timeZone: 'UTC',
          outputUri: `s3://${LAKE}/bronze/cdc/`,
          migrationType: 'cdc',
        },
      ],
    },
    ...extra,
  });
}

/**
 * The production smoke test: what `docker build` and `docker run` do, without a Docker engine. The
 * image's files (image-files.ts, the Dockerfile's COPY list) go into an empty folder, the Dockerfile's
 * RUN steps run there (`npm ci --omit=dev` from the npm cache, the workflow bundle build), and its CMD
 * starts the worker with the image's ENV, a user-style YAML config, `AWS_ENDPOINT_URL_*` pointing at
 * the emulator and `TEMPORAL_ADDRESS` at a dev server. One shop day must succeed, the Dockerfile's
 * HEALTHCHECK must pass while the worker runs and fail once it stopped, and SIGTERM must stop it cleanly.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { followRun, startDailyRun } from '../../cli/daily-runs';
import { type DevServer, startDevServer } from '../../local/dev-server';
import { dayWindowUtc } from '../../core/dates';
import type { DailyRunReport } from '../../core/run-report';
import { buildShopEmulatorConfig } from '../../emulator/shop-emulator-config';
import { createShopSimulator } from '../../emulator/sources/shop-simulator';
import { type RunningEmulator, startEmulator } from '../../emulator/start-emulator';
import { freePort } from '../../local/net';
import { localEnvironment } from '../../local/local-environment';
import { METRIC_NAMES } from '../../workers/metrics';
import { readDockerfile, ROOT } from '../support/production/dockerfile';
import { IMAGE_FILES } from '../support/production/image-files';

const image = readDockerfile();
const DAY = '2025-03-29';
const TIME_ZONE = 'Europe/Berlin';
const BUCKET = 'medallion-lake';
const TASK_QUEUE = 'medallion-image';
/** The SDK's per-service endpoint variables (serviceId, upper-cased, spaces as underscores). */
const ENDPOINT_VARIABLES = [
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_GLUE',
  'AWS_ENDPOINT_URL_EMR_SERVERLESS',
  'AWS_ENDPOINT_URL_DATABASE_MIGRATION_SERVICE',
  'AWS_ENDPOINT_URL_APPFLOW',
  'AWS_ENDPOINT_URL_REDSHIFT_DATA',
];

let appDir: string;
let dataDir: string;
let devServer: DevServer;
let emulator: RunningEmulator;
let worker: ChildProcess | undefined;
let workerExit: Promise<number | null>;
let workerLog: string;
let imageEnv: NodeJS.ProcessEnv;
const timings: Record<string, number> = {};

/** The image's ENV with its WORKDIR mapped onto the folder that stands in for it. */
function inApp(value: string): string {
  return value.startsWith(`${image.workdir}/`) ? path.join(appDir, value.slice(image.workdir.length)) : value;
}

/** The host's environment minus anything that would point the worker elsewhere than the test says. */
function hostEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(AWS_|TEMPORAL_|MEDALLION_)/.test(name) || name === 'NODE_ENV') delete env[name];
  }
  return env;
}

async function scrape(port: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition format, the samples only. */
function parseMetrics(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match) return [];
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    return [{ name: match[1]!, labels, value: Number(match[3]) }];
  });
}

/** The metric names the repository's Grafana dashboard queries. */
function dashboardMetricNames(): string[] {
  const dashboard = JSON.parse(
    readFileSync(path.join(ROOT, 'docker/grafana/dashboards/medallion.json'), 'utf8'),
  ) as {
    panels: { targets: { expr: string }[] }[];
  };
  const names = dashboard.panels.flatMap((p) =>
    p.targets.flatMap((t) => [...t.expr.matchAll(/\b((?:medallion|temporal)_\w+)/g)].map((m) => m[1]!)),
  );
  expect(names.length).toBeGreaterThan(5);
  return [...new Set(names)];
}

function healthcheck(): number | null {
  const [command, ...args] = image.healthcheck;
  return spawnSync(command!, args, { cwd: appDir, env: imageEnv, timeout: 10_000 }).status;
}

beforeAll(async () => {
  appDir = mkdtempSync(path.join(tmpdir(), 'medallion-image-'));
  dataDir = mkdtempSync(path.join(tmpdir(), 'medallion-image-data-'));
  for (const file of IMAGE_FILES) cpSync(path.join(ROOT, file), path.join(appDir, file), { recursive: true });

  imageEnv = {
    ...hostEnv(),
    ...Object.fromEntries(Object.entries(image.env).map(([k, v]) => [k, inApp(v)])),
  };
  for (const run of image.runs) {
    const started = Date.now();
    // The npm cache stands in for the registry: this machine may be offline.
    const result = spawnSync('sh', ['-c', run], {
      cwd: appDir,
      env: { ...imageEnv, npm_config_prefer_offline: 'true' },
      encoding: 'utf8',
    });
    timings[run] = (Date.now() - started) / 1000;
    if (result.status !== 0)
      throw new Error(`RUN ${run} exited with ${result.status}:\n${result.stdout}${result.stderr}`);
  }
  const du = spawnSync('du', ['-sh', path.join(appDir, 'node_modules')], { encoding: 'utf8' }).stdout.split(
    '\t',
  )[0];
  process.stdout.write(
    `worker image: ${Object.entries(timings)
      .map(([run, s]) => `${run.split(' ').slice(0, 3).join(' ')} ${s.toFixed(1)} s`)
      .join('; ')}; node_modules ${du}\n`,
  );

  const [port, uiPort] = [await freePort(), await freePort()];
  devServer = await startDevServer(dataDir, port, uiPort, { persistent: false });
  emulator = await startEmulator({
    dataDir: path.join(dataDir, 'aws'),
    config: buildShopEmulatorConfig({ bucket: BUCKET, seed: 42, timeZone: TIME_ZONE }),
    sources: createShopSimulator({ epochUtc: new Date(`${DAY}T00:00:00Z`) }),
    logger: pino({ level: 'error' }),
  });
  await emulator.admin.setSourceClock(dayWindowUtc(DAY, TIME_ZONE).endUtc);

  // A config as a team writes it for its account: no endpoint in the file, the emulator's resource names.
  const { endpoint: _endpoint, ...environment } = localEnvironment(
    emulator.endpoint,
    emulator.config,
    BUCKET,
  );
  const configFile = path.join(dataDir, 'medallion.yaml');
  writeFileSync(
    configFile,
    stringify({
      temporal: { address: 'temporal:7233', namespace: 'default', taskQueue: TASK_QUEUE },
      environment,
    }),
  );
  imageEnv = {
    ...imageEnv,
    MEDALLION_MONITORING_PORT: String(await freePort()),
    MEDALLION_SDK_METRICS_PORT: String(await freePort()),
  };
  workerLog = path.join(dataDir, 'worker.log');
  const log = openSync(workerLog, 'a');
  const [command, ...args] = image.cmd;
  worker = spawn(path.join(appDir, command!), args, {
    cwd: appDir,
    stdio: ['ignore', log, log],
    env: {
      ...imageEnv,
      MEDALLION_CONFIG: configFile,
      TEMPORAL_ADDRESS: devServer.address,
      AWS_REGION: emulator.config.region,
      AWS_ACCESS_KEY_ID: 'medallion-local',
      AWS_SECRET_ACCESS_KEY: 'medallion-local',
      ...Object.fromEntries(ENDPOINT_VARIABLES.map((name) => [name, emulator.endpoint])),
    },
  });
  workerExit = new Promise((resolve) => worker!.once('exit', resolve));
}, 600_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGKILL');
    await workerExit;
  }
  await emulator?.stop();
  await devServer?.stop();
  for (const dir of [appDir, dataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the worker image, built and run as the Dockerfile says', () => {
  it('installs the production dependencies alone: no emulator, test or build tools', () => {
    const modules = path.join(appDir, 'node_modules');
    for (const dev of [
      '@duckdb/node-api',
      'vitest',
      'typescript',
      'eslint',
      '@temporalio/testing',
      'aws-cdk-lib',
    ]) {
      expect(existsSync(path.join(modules, dev)), dev).toBe(false);
    }
    for (const needed of ['yaml', '@temporalio/worker', 'tsx']) {
      expect(existsSync(path.join(modules, needed)), needed).toBe(true);
    }
    expect(existsSync(path.join(appDir, 'dist/workflow-bundle.js'))).toBe(true);
    // The core-bridge native library of this platform alone (x86_64 or aarch64 Linux).
    const releases = readdirSync(path.join(modules, '@temporalio/core-bridge/releases'));
    expect(releases).toHaveLength(1);
    expect(releases[0]).toMatch(/^(x86_64|aarch64)-unknown-linux-gnu$/);
  });

  it('becomes healthy, runs a shop day to success from the built bundle, and stops on SIGTERM', async () => {
    const deadline = Date.now() + 90_000;
    while (healthcheck() !== 0) {
      if (worker!.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the worker never became healthy:\n${readFileSync(workerLog, 'utf8')}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }

    let report!: DailyRunReport;
    let succeededStages: string[] = [];
    const connection = await Connection.connect({ address: devServer.address });
    try {
      const client = new Client({ connection, namespace: 'default' });
      const handle = await startDailyRun(client, {
        pipeline: 'shop',
        logicalDate: DAY,
        taskQueue: TASK_QUEUE,
      });
      report = await followRun(handle, () => undefined, 250);
      expect(report.status, readFileSync(workerLog, 'utf8')).toBe('succeeded');
      expect(report.stages.every((s) => s.status === 'succeeded' || s.status === 'skipped')).toBe(true);
      expect(report.totals.rowsOut).toBeGreaterThan(0);
      succeededStages = report.stages.filter((s) => s.status === 'succeeded').map((s) => s.id);
    } finally {
      await connection.close();
    }

    // Prometheus scrapes of the running worker: medallion's stage metrics and the SDK's own.
    const medallionText = await scrape(imageEnv.MEDALLION_MONITORING_PORT!);
    const medallion = parseMetrics(medallionText);
    expect(succeededStages.length).toBeGreaterThan(0);
    for (const stage of succeededStages) {
      const runs = medallion.filter(
        (m) =>
          m.name === `${METRIC_NAMES.stageDuration}_count` &&
          m.labels.pipeline === 'shop' &&
          m.labels.stage === stage &&
          m.labels.outcome === 'succeeded',
      );
      expect(
        runs.map((m) => m.value),
        stage,
      ).toEqual([1]);
      expect(runs[0]!.labels.kind, stage).toMatch(/^(dms|appflow|glue|emr-serverless|redshift)$/);
    }
    const total = (name: string) =>
      medallion
        .filter((m) => m.name === name && m.labels.pipeline === 'shop')
        .reduce((sum, m) => sum + m.value, 0);
    expect(total(METRIC_NAMES.rowsOut)).toBe(report.totals.rowsOut);
    expect(total(METRIC_NAMES.rowsIn)).toBe(report.totals.rowsIn);
    expect(total(METRIC_NAMES.quarantined)).toBe(report.totals.quarantined);
    expect(
      medallion.find(
        (m) =>
          m.name === METRIC_NAMES.awsCalls &&
          m.labels.service === 'Glue' &&
          m.labels.operation === 'GetJobRun',
      )?.value,
    ).toBeGreaterThan(0);
    const sdkText = await scrape(imageEnv.MEDALLION_SDK_METRICS_PORT!);
    const sdk = parseMetrics(sdkText);
    expect(sdk.some((m) => m.name.startsWith('temporal_') && m.labels.task_queue === TASK_QUEUE)).toBe(true);
    // Every series the Grafana dashboard queries is one this worker exports (declared, or sampled).
    const declared = (text: string) => [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!);
    const exported = new Set([
      ...[...medallion, ...sdk].map((m) => m.name),
      ...declared(medallionText),
      ...declared(sdkText),
    ]);
    const missing = dashboardMetricNames().filter((name) => !exported.has(name));
    expect(missing).toEqual([]);

    const log = readFileSync(workerLog, 'utf8');
    expect(log).toContain('medallion worker polling');
    // Bundling at start would log this; the image's worker loads the bundle built by RUN.
    expect(log).not.toContain('Workflow bundle created');

    worker!.kill('SIGTERM');
    expect(await workerExit).toBe(0);
    expect(healthcheck()).not.toBe(0);
  }, 300_000);
});

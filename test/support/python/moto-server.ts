/**
 * moto (an AWS mock kept by others, pinned in local/python-tools.ts) as a second backend for the
 * activities: one `moto_server` per test file on 127.0.0.1, and the worker's own SDK clients
 * (workers/aws-clients.ts) pointed at it through the environment's `endpoint`.
 *
 * Where moto's wire format breaks the AWS model, the clients get one narrow repair (see
 * `epochTimestamps`) and the README's backend table says so; nothing else is adapted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../../../activities';
import type { Environment } from '../../../core/environment';
import { freePort, waitForPort } from '../../../local/net';
import {
  isPythonToolProvisioned,
  MOTO_TOOL,
  pythonToolBin,
  pythonToolDir,
} from '../../../local/python-tools';
import { buildAwsClients } from '../../../workers/aws-clients';
import { awsTestEnvironment } from '../aws-test-environment';
import { toolchainAvailable } from '../toolchain';

export const MOTO_REGION = 'eu-west-1';
/** moto's default account: ARNs of roles and tasks must name it. */
export const MOTO_ACCOUNT = '123456789012';
export const MOTO_LAKE = 'moto-lake';

/** True when the pinned moto is installed; under CI a missing moto fails the tier (test/support/toolchain.ts). */
export function motoAvailable(): boolean {
  const missing = isPythonToolProvisioned(MOTO_TOOL)
    ? undefined
    : `${MOTO_TOOL.name} is not installed in ${pythonToolDir(MOTO_TOOL)}; run \`npm run provision\` (needs PyPI once)`;
  return toolchainAvailable('python (moto)', missing);
}

/** A moto state-manager transition (moto's docs: "State Transitions"). */
type MotoTransition =
  | { progression: 'immediate' }
  | { progression: 'manual'; times: number }
  | { progression: 'time'; seconds: number };

export interface MotoServer {
  endpoint: string;
  clients: AwsClients;
  environment: Environment;
  setTransition(modelName: string, transition: MotoTransition): Promise<void>;
  stop(): Promise<void>;
}

/** Starts moto_server on a free port; `env` adds moto settings such as MOTO_S3_DEFAULT_MAX_KEYS. */
export async function startMoto(env: Record<string, string> = {}): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    pythonToolBin(MOTO_TOOL, 'moto_server'),
    ['-H', '127.0.0.1', '-p', String(port)],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } },
  );
  // A test process that exits without afterAll (a killed fork) takes its server with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  try {
    await waitForPort(port, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`moto_server did not start: ${(error as Error).message}\n${stderr}`);
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const environment: Environment = {
    ...awsTestEnvironment,
    region: MOTO_REGION,
    endpoint,
    lakeBucket: MOTO_LAKE,
  };
  // No credentials in the env given: the worker's code then uses its dummy local ones (moto ignores them).
  const clients = buildAwsClients(environment, {});
  try {
    epochTimestamps(clients.dms, 'dms/2016-01-01');
    epochTimestamps(clients.redshiftData, 'redshift-data/2019-12-20');
    await clients.s3.send(
      new CreateBucketCommand({
        Bucket: MOTO_LAKE,
        CreateBucketConfiguration: { LocationConstraint: MOTO_REGION },
      }),
    );
  } catch (error) {
    // The caller never gets a handle to stop: stop the server here rather than leave it running.
    await stop();
    throw error;
  }

  return {
    endpoint,
    clients,
    environment,
    async setTransition(modelName, transition) {
      const response = await fetch(`${endpoint}/moto-api/state-manager/set-transition`, {
        method: 'POST',
        body: JSON.stringify({ model_name: modelName, transition }),
      });
      if (!response.ok) throw new Error(`moto set-transition ${modelName}: HTTP ${response.status}`);
    },
    stop,
  };
}

/** The botocore service model moto itself is built on, from the pinned venv. */
export function botocoreModel(serviceAndVersion: string): {
  metadata: { protocol: string };
  shapes: Record<string, { type: string; members?: Record<string, { shape: string }>; enum?: string[] }>;
} {
  const file = join(
    pythonToolDir(MOTO_TOOL),
    'lib',
    'python3.11',
    'site-packages',
    'botocore',
    'data',
    serviceAndVersion,
    'service-2.json.gz',
  );
  return JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as ReturnType<typeof botocoreModel>;
}

/** Names of structure members whose shape is a timestamp in the service model. */
export function timestampMembers(serviceAndVersion: string): Set<string> {
  const { shapes } = botocoreModel(serviceAndVersion);
  const names = new Set<string>();
  for (const shape of Object.values(shapes)) {
    for (const [name, member] of Object.entries(shape.members ?? {}))
      if (shapes[member.shape]?.type === 'timestamp') names.add(name);
  }
  return names;
}

/**
 * moto 5.2.1 writes DMS and Redshift Data timestamps as ISO-8601 strings ("2026-12-04T16:36:25.205372",
 * "2026-12-04T16:36:25Z"), but both are awsJson1_1 services whose timestamps are epoch seconds (the
 * botocore models have no timestampFormat override). boto3 parses either; the JS SDK v3 rejects the
 * string ("Expected real number, got implicit NaN"). So before the SDK parses a response, members that
 * the model types as timestamps and that hold an ISO string become epoch seconds (moto's naive times
 * are UTC). Nothing else in the body changes.
 */
function epochTimestamps(client: DatabaseMigrationServiceClient | RedshiftDataClient, model: string): void {
  const members = timestampMembers(model);
  const repair = (value: unknown, key?: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => repair(v));
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, repair(v, k)]));
    if (key && members.has(key) && typeof value === 'string') {
      const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`);
      if (!Number.isNaN(ms)) return ms / 1000;
    }
    return value;
  };
  // Innermost in the deserialize step: runs on the raw HTTP response before the SDK's deserializer.
  (client.middlewareStack as unknown as MiddlewareStack).add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as { statusCode?: number; body?: AsyncIterable<Uint8Array> };
      if (response.statusCode !== 200 || !response.body) return result;
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Buffer;
      try {
        body = Buffer.from(JSON.stringify(repair(JSON.parse(text))));
      } catch {
        body = Buffer.from(text);
      }
      (response as { body: unknown }).body = body;
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'motoEpochTimestamps' },
  );
}

interface MiddlewareStack {
  add(
    middleware: (
      next: (args: unknown) => Promise<{ response: unknown }>,
    ) => (args: unknown) => Promise<{ response: unknown }>,
    options: { step: 'deserialize'; priority: 'low'; name: string },
  ): void;
}

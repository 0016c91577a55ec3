import { GetJobCommand, GlueClient, ThrottlingException } from '@aws-sdk/client-glue';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config-errors';
import { parseEmulatorConfig } from '../../emulator/emulator-config';
import { buildShopEmulatorConfig, shopEmulatorNames } from '../../emulator/shop-emulator-config';
import { startEmulator } from '../../emulator/start-emulator';
import { LAKE, type TestEmulator, startTestEmulator } from '../support/emulator-fixture';

let t: TestEmulator;

beforeAll(async () => {
  t = await startTestEmulator({
    s3: { buckets: [LAKE] },
    glue: { jobs: [{ name: 'job-a' }] },
    script: { runFailures: [{ service: 'glue', name: 'job-a', count: 2, message: 'from config' }] },
  });
});
afterAll(() => t.close());

const signed = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`;

describe('routing and protocol errors', () => {
  it('serves SDK clients configured only through AWS_ENDPOINT_URL', async () => {
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = t.emulator.endpoint;
    try {
      const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
      const glue = new GlueClient({ region: 'us-east-1', credentials });
      expect((await glue.send(new GetJobCommand({ JobName: 'job-a' }))).Job?.Name).toBe('job-a');
      const s3 = new S3Client({ region: 'us-east-1', credentials, forcePathStyle: true });
      expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual([LAKE]);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved;
    }
  });

  it('names the operations it implements when asked for another one', async () => {
    const response = await fetch(`${t.emulator.endpoint}/`, {
      method: 'POST',
      headers: {
        authorization: signed('glue'),
        'x-amz-target': 'AWSGlue.DeleteJob',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: '{}',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { __type: string; message: string };
    expect(body.__type).toBe('UnknownOperationException');
    expect(body.message).toContain('GetJobRuns');
  });

  it('explains an unsigned request it cannot route, and a service it does not emulate', async () => {
    const unsigned = await fetch(`${t.emulator.endpoint}/something`, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(400);
    expect(((await unsigned.json()) as { message: string }).message).toMatch(/sign it with SigV4/);
    const other = await fetch(`${t.emulator.endpoint}/`, {
      method: 'POST',
      headers: { authorization: signed('sqs') },
      body: '{}',
    });
    expect(((await other.json()) as { message: string }).message).toMatch(/does not emulate "sqs"/);
  });

  it('answers a malformed JSON body with SerializationException', async () => {
    const response = await fetch(`${t.emulator.endpoint}/`, {
      method: 'POST',
      headers: { authorization: signed('glue'), 'x-amz-target': 'AWSGlue.GetJob' },
      body: '{not json',
    });
    expect(((await response.json()) as { __type: string }).__type).toBe('SerializationException');
  });
});

describe('admin API', () => {
  it('reports health and the script applied from the config', async () => {
    const health = (await (await fetch(`${t.emulator.endpoint}/_emulator/health`)).json()) as {
      ok: boolean;
      dataDir: string;
    };
    expect(health).toMatchObject({ ok: true, dataDir: t.dataDir });
    expect(t.emulator.admin.script().runFailures).toEqual([
      { service: 'glue', name: 'job-a', count: 2, message: 'from config' },
    ]);
  });

  it('throttles over HTTP and lists start calls over HTTP', async () => {
    const armed = await fetch(`${t.emulator.endpoint}/_emulator/script/throttles`, {
      method: 'POST',
      body: JSON.stringify({ operation: 'glue:GetJob', count: 1 }),
    });
    expect(armed.status).toBe(200);
    await expect(t.clients.glue.send(new GetJobCommand({ JobName: 'job-a' }))).rejects.toBeInstanceOf(
      ThrottlingException,
    );
    await t.clients.glue.send(new GetJobCommand({ JobName: 'job-a' }));
    const calls = (await (
      await fetch(`${t.emulator.endpoint}/_emulator/start-calls?service=glue`)
    ).json()) as unknown[];
    expect(Array.isArray(calls)).toBe(true);
  });

  it('rejects a bad rule with the field and the fix', async () => {
    const response = await fetch(`${t.emulator.endpoint}/_emulator/script/durations`, {
      method: 'POST',
      body: JSON.stringify({ service: 'lambda', name: 'x', ms: -1 }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { issues: { path: string; message: string }[] };
    expect(body.issues.map((i) => i.path).sort()).toEqual(['ms', 'service']);
    await expect(t.emulator.admin.throttleNextCalls('GetJob')).rejects.toThrow(/<service>:<Operation>/);
  });

  it('delays calls by a scripted latency', async () => {
    await t.emulator.admin.setLatency({ operation: 'glue:GetJob', ms: 150 });
    const started = Date.now();
    await t.clients.glue.send(new GetJobCommand({ JobName: 'job-a' }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await t.emulator.admin.setLatency({ operation: 'glue:GetJob', ms: 0 });
  });
});

describe('data directory', () => {
  it('refuses a second emulator on a data directory in use', async () => {
    await expect(startEmulator({ dataDir: t.dataDir })).rejects.toThrow(/in use by another emulator/);
  });
});

describe('config', () => {
  it('names every bad field by its path', () => {
    const attempt = () =>
      parseEmulatorConfig({
        s3: { buckets: ['Bad_Bucket'] },
        glue: { jobs: [{ name: 'j' }, { name: 'j', maxConcurrentRuns: 0 }] },
        dms: {
          tasks: [
            {
              id: 't',
              schema: 's',
              tables: [],
              seed: 1,
              outputUri: 's3://b/x',
              cdcMaxBatchInterval: 172_800,
            },
          ],
        },
      });
    expect(attempt).toThrow(ConfigError);
    const paths = (() => {
      try {
        attempt();
        return [];
      } catch (error) {
        return (error as ConfigError).issues.map((i) => i.path);
      }
    })();
    expect(paths).toEqual(
      expect.arrayContaining([
        's3.buckets[0]',
        'glue.jobs[1].maxConcurrentRuns',
        'dms.tasks[0].tables',
        'dms.tasks[0].outputUri',
        'dms.tasks[0].cdcMaxBatchInterval',
      ]),
    );
  });

  it('builds the shop config: a full-load-and-cdc task, stable task ARN, every resource the pipeline uses', () => {
    const config = buildShopEmulatorConfig({
      bucket: 'shop-lake',
      seed: 11,
      timeZone: 'Europe/Berlin',
    });
    expect(config.dms.tasks[0]).toMatchObject({
      id: shopEmulatorNames.dmsTask,
      migrationType: 'full-load-and-cdc',
      outputUri: 's3://shop-lake/bronze/cdc/',
      timeZone: 'Europe/Berlin',
      seed: 11,
      cdcMaxBatchInterval: 86_400,
    });
    expect(config.dms.tasks[0]?.arn).toBe(
      buildShopEmulatorConfig({ bucket: 'x-lake', seed: 1, timeZone: 'UTC' }).dms.tasks[0]?.arn,
    );
    expect(config.glue.jobs.map((j) => j.name)).toEqual([shopEmulatorNames.sqlRunnerJob]);
    expect(config.appflow.flows[0]).toMatchObject({
      name: shopEmulatorNames.crmFlow,
      object: 'accounts',
      bucket: 'shop-lake',
    });
    expect(config.redshift.workgroups).toEqual([
      { name: shopEmulatorNames.workgroup, databases: [shopEmulatorNames.database] },
    ]);
    expect(() => buildShopEmulatorConfig({ bucket: 'b-lake', seed: 1, timeZone: 'Mars/Base' })).toThrow(
      /timeZone/,
    );
  });
});

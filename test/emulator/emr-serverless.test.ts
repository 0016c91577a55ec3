import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CancelJobRunCommand,
  ConflictException,
  GetApplicationCommand,
  GetJobRunCommand,
  type JobRun,
  ListJobRunsCommand,
  ResourceNotFoundException,
  StartJobRunCommand,
  type StartJobRunCommandInput,
  ValidationException,
} from '@aws-sdk/client-emr-serverless';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMR_MANIFEST_FLAG, type JobManifest } from '../../core/job-manifest';
import { LAKE, type TestEmulator, startTestEmulator, waitFor } from '../support/emulator-fixture';

const APP = '00emrapp0000001';
const SLOW_APP = '00emrslow000001';
const ROLE = 'arn:aws:iam::123456789012:role/emr-job';
let t: TestEmulator;

beforeAll(async () => {
  t = await startTestEmulator({
    s3: { buckets: [LAKE] },
    emrServerless: {
      applications: [
        { id: APP, name: 'gold' },
        { id: SLOW_APP, durationMs: 5_000 },
      ],
    },
  });
  await t.clients.s3.send(
    new PutObjectCommand({
      Bucket: LAKE,
      Key: 'silver/orders/dt=2024-01-02/part-0.parquet',
      Body: await sampleParquet(),
    }),
  );
});
afterAll(() => t.close());

async function sampleParquet(): Promise<Buffer> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const file = join(t.dataDir, 'sample.parquet');
  await connection.run(
    `COPY (SELECT i AS order_id, i * 100 AS total_cents FROM range(4) t(i)) TO '${file}' (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
  return readFile(file);
}

function goldManifest(sql: string): JobManifest {
  return {
    pipeline: 'shop',
    stageId: 'gold_revenue',
    logicalDate: '2024-01-02',
    inputs: [{ name: 'orders', uri: `s3://${LAKE}/silver/orders/` }],
    sql,
    outputUri: `s3://${LAKE}/gold/daily_revenue/dt=2024-01-02/`,
    quarantineUri: `s3://${LAKE}/quarantine/gold_revenue/dt=2024-01-02/`,
    metricsUri: `s3://${LAKE}/_medallion/metrics/shop/2024-01-02/gold_revenue.json`,
  };
}

function start(clientToken: string, extra: Partial<StartJobRunCommandInput> = {}, applicationId = APP) {
  return t.clients.emr.send(
    new StartJobRunCommand({
      applicationId,
      clientToken,
      executionRoleArn: ROLE,
      jobDriver: { sparkSubmit: { entryPoint: 's3://artifacts/sql_runner.py', entryPointArguments: [] } },
      ...extra,
    }),
  );
}

const getRun = (applicationId: string, jobRunId: string) =>
  t.clients.emr.send(new GetJobRunCommand({ applicationId, jobRunId })).then((r) => r.jobRun!);
const until = (applicationId: string, jobRunId: string, states: string[]) =>
  waitFor(
    () => getRun(applicationId, jobRunId),
    (run: JobRun) => states.includes(run.state!),
  );

describe('EMR Serverless', () => {
  it('describes an application; an unknown one is ResourceNotFoundException (404)', async () => {
    const { application } = await t.clients.emr.send(new GetApplicationCommand({ applicationId: APP }));
    expect(application).toMatchObject({ applicationId: APP, name: 'gold', type: 'Spark', state: 'CREATED' });
    expect(application?.arn).toBe(`arn:aws:emr-serverless:us-east-1:123456789012:/applications/${APP}`);
    const error = await t.clients.emr
      .send(new GetApplicationCommand({ applicationId: 'nope' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
  });

  it('runs the manifest after --manifest: SUBMITTED -> SCHEDULED -> RUNNING -> SUCCESS', async () => {
    const manifest = goldManifest('SELECT sum(total_cents) AS revenue FROM orders');
    const { jobRunId, arn } = await start('token-success', {
      name: 'gold_revenue',
      tags: { medallion_run_key: 'token-success' },
      jobDriver: {
        sparkSubmit: {
          entryPoint: 's3://artifacts/sql_runner.py',
          entryPointArguments: [EMR_MANIFEST_FLAG, JSON.stringify(manifest)],
        },
      },
    });
    expect(arn).toContain(`/jobruns/${jobRunId}`);
    const seen = new Set<string>();
    const done = await waitFor(
      () => getRun(APP, jobRunId!),
      (run) => {
        seen.add(run.state!);
        return run.state === 'SUCCESS' || run.state === 'FAILED';
      },
    );
    expect(done).toMatchObject({
      state: 'SUCCESS',
      name: 'gold_revenue',
      tags: { medallion_run_key: 'token-success' },
      executionRole: ROLE,
    });
    expect(seen.has('RUNNING') || seen.has('SCHEDULED') || seen.has('SUBMITTED')).toBe(true);
    expect(done.startedAt).toBeInstanceOf(Date);
    expect(done.endedAt).toBeInstanceOf(Date);
    const metrics = JSON.parse(
      await readFile(
        join(t.dataDir, 'lake', LAKE, '_medallion/metrics/shop/2024-01-02/gold_revenue.json'),
        'utf8',
      ),
    ) as unknown;
    expect(metrics).toEqual({ rowsIn: 1, rowsOut: 1, quarantined: 0 });
  });

  it('is idempotent on clientToken: the same token returns the same jobRunId and starts nothing new', async () => {
    const first = await start('same-token');
    const second = await start('same-token');
    expect(second.jobRunId).toBe(first.jobRunId);
    const calls = t.emulator.admin
      .startCalls({ service: 'emr-serverless', operation: 'StartJobRun' })
      .filter((c) => c.idempotencyKey === 'same-token');
    expect(calls.map((c) => c.outcome)).toEqual(['started', 'replayed']);
  });

  // emr-serverless/2021-07-13 StartJobRunRequest.clientToken: "Its value must be unique for each
  // request"; StartJobRun's ConflictException (HTTP 409): "conflict in the current state of the resource".
  it('answers a clientToken reused for a changed request with ConflictException 409, naming the earlier run', async () => {
    const first = await start('token-changed', {
      jobDriver: { sparkSubmit: { entryPoint: 'x.py', entryPointArguments: [EMR_MANIFEST_FLAG, '{"v":1}'] } },
    });
    const error = (await start('token-changed', {
      jobDriver: { sparkSubmit: { entryPoint: 'x.py', entryPointArguments: [EMR_MANIFEST_FLAG, '{"v":2}'] } },
    }).catch((e: unknown) => e)) as ConflictException;
    expect(error).toBeInstanceOf(ConflictException);
    expect(error.$metadata.httpStatusCode).toBe(409);
    expect(error.message).toContain(first.jobRunId);
    const calls = t.emulator.admin
      .startCalls({ service: 'emr-serverless', operation: 'StartJobRun' })
      .filter((c) => c.idempotencyKey === 'token-changed');
    expect(calls.map((c) => c.outcome)).toEqual(['started', 'rejected']);
  });

  it('fails a run whose SQL fails, with the error in stateDetails', async () => {
    const { jobRunId } = await start('token-fail', {
      jobDriver: {
        sparkSubmit: {
          entryPoint: 'x.py',
          entryPointArguments: [
            EMR_MANIFEST_FLAG,
            JSON.stringify(goldManifest('SELECT missing FROM orders')),
          ],
        },
      },
    });
    const done = await until(APP, jobRunId!, ['SUCCESS', 'FAILED']);
    expect(done.state).toBe('FAILED');
    expect(done.stateDetails).toContain('missing');
  });

  it('cancels a run: CANCELLING -> CANCELLED; cancelling a finished run is a ValidationException', async () => {
    const { jobRunId } = await start('token-cancel', {}, SLOW_APP);
    await until(SLOW_APP, jobRunId!, ['RUNNING']);
    await t.clients.emr.send(new CancelJobRunCommand({ applicationId: SLOW_APP, jobRunId }));
    expect(['CANCELLING', 'CANCELLED']).toContain((await getRun(SLOW_APP, jobRunId!)).state);
    await until(SLOW_APP, jobRunId!, ['CANCELLED']);
    await expect(
      t.clients.emr.send(new CancelJobRunCommand({ applicationId: SLOW_APP, jobRunId })),
    ).rejects.toBeInstanceOf(ValidationException);
  });

  it('cancels a run that exceeds executionTimeoutMinutes, saying so in stateDetails', async () => {
    const { jobRunId } = await start('token-timeout', { executionTimeoutMinutes: 1 }, SLOW_APP);
    const done = await until(SLOW_APP, jobRunId!, ['CANCELLED', 'SUCCESS']);
    expect(done.state).toBe('CANCELLED');
    expect(done.stateDetails).toMatch(/timed out after 1 minutes/);
  });

  it('lists runs newest first, filtered by state, paginated by nextToken', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await start(`list-${i}`)).jobRunId!);
    await until(APP, ids[2]!, ['SUCCESS']);
    const page1 = await t.clients.emr.send(new ListJobRunsCommand({ applicationId: APP, maxResults: 2 }));
    expect(page1.jobRuns?.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    const page2 = await t.clients.emr.send(
      new ListJobRunsCommand({ applicationId: APP, maxResults: 2, nextToken: page1.nextToken }),
    );
    expect(page2.jobRuns?.[0]?.id).toBe(ids[0]);
    const failed = await t.clients.emr.send(
      new ListJobRunsCommand({ applicationId: APP, states: ['FAILED'] }),
    );
    expect(failed.jobRuns?.length).toBeGreaterThan(0);
    expect(failed.jobRuns?.every((r) => r.state === 'FAILED')).toBe(true);
  });

  it('rejects a start without executionRoleArn (ValidationException) and for an unknown application', async () => {
    await expect(
      t.clients.emr.send(
        new StartJobRunCommand({
          applicationId: APP,
          clientToken: 'x',
          jobDriver: { sparkSubmit: { entryPoint: 'a.py' } },
        } as never),
      ),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(start('unknown-app', {}, 'nosuchapp')).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

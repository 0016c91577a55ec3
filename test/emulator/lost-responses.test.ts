/**
 * Scripted lost responses: a call takes effect, then its answer is replaced by a 500 or never sent.
 * On AWS this is what a 5xx after commit, a reset connection or a client timeout looks like: the
 * caller cannot tell whether its Start* call started anything. The default error is each service's
 * own server fault from its botocore model (service-2.json): Glue `InternalServiceException`,
 * EMR Serverless `InternalServerException` (httpStatusCode 500), AppFlow `InternalServerException`
 * (httpStatusCode 500), Redshift Data `InternalServerException`, DMS (none modelled) `InternalFailure`.
 */
import { StartFlowCommand } from '@aws-sdk/client-appflow';
import {
  DescribeReplicationTasksCommand,
  StartReplicationTaskCommand,
} from '@aws-sdk/client-database-migration-service';
import { StartJobRunCommand as StartEmrJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { GetJobRunsCommand, StartJobRunCommand } from '@aws-sdk/client-glue';
import { ExecuteStatementCommand, ListStatementsCommand } from '@aws-sdk/client-redshift-data';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config-errors';
import { dmsTaskArn } from '../../emulator/emulator-config';
import { callFaultRuleSchema } from '../../emulator/scripting/script-rules';
import { LAKE, type TestEmulator, startJobServicesEmulator } from '../support/emulator-fixture';

const APP = '00emrlost000001';
const ROLE = 'arn:aws:iam::123456789012:role/emr-job';
let t: TestEmulator;

beforeAll(async () => {
  t = await startJobServicesEmulator(
    {
      glueJob: 'job-lost',
      glueMaxConcurrentRuns: 20,
      emrApplication: APP,
      flow: 'crm-lost',
      dmsTask: 'cdc-lost',
    },
    {
      redshift: { workgroups: [{ name: 'wg', databases: ['db'] }] },
      script: {
        callFaults: [{ operation: 'glue:StartJobRun', phase: 'after-effect', response: 'drop', count: 1 }],
      },
    },
  );
});
afterAll(() => t.close());
afterEach(() => t.emulator.admin.resetScript());

const startGlue = (runKey: string) =>
  t.clients.glue.send(
    new StartJobRunCommand({ JobName: 'job-lost', Arguments: { '--medallion_run_key': runKey } }),
  );
const glueRunsWithKey = async (runKey: string) =>
  ((await t.clients.glue.send(new GetJobRunsCommand({ JobName: 'job-lost' }))).JobRuns ?? []).filter(
    (r) => r.Arguments?.['--medallion_run_key'] === runKey,
  );

describe('lost responses after the effect', () => {
  it('drops the connection of a Glue StartJobRun that started a run (scripted from the config)', async () => {
    expect(t.emulator.admin.script().callFaults).toEqual([
      { operation: 'glue:StartJobRun', count: 1, phase: 'after-effect', response: 'drop' },
    ]);
    const error = await startGlue('key-drop').catch((e: unknown) => e as Error & { code?: string });
    expect(error).toBeInstanceOf(Error);
    expect((error as { code?: string }).code ?? (error as Error).name).toMatch(/ECONNRESET|socket hang up/i);
    const runs = await glueRunsWithKey('key-drop');
    expect(runs).toHaveLength(1);
    expect(t.emulator.admin.startCalls({ service: 'glue', operation: 'StartJobRun' }).at(-1)).toMatchObject({
      outcome: 'started',
      runId: runs[0]!.Id,
      resource: 'job-lost',
    });
  });

  it('answers an effective Glue StartJobRun with InternalServiceException 500', async () => {
    await t.emulator.admin.failNextCalls({ operation: 'glue:StartJobRun', phase: 'after-effect' });
    const error = (await startGlue('key-500').catch((e: unknown) => e)) as Error & {
      $metadata: { httpStatusCode: number };
    };
    expect(error.name).toBe('InternalServiceException');
    expect(error.$metadata.httpStatusCode).toBe(500);
    expect(await glueRunsWithKey('key-500')).toHaveLength(1);
  });

  it('loses the answer of EMR Serverless StartJobRun, AppFlow StartFlow and Redshift Data ExecuteStatement', async () => {
    await t.emulator.admin.failNextCalls({ operation: 'emr-serverless:StartJobRun', phase: 'after-effect' });
    await t.emulator.admin.failNextCalls({ operation: 'appflow:StartFlow', phase: 'after-effect' });
    await t.emulator.admin.failNextCalls({
      operation: 'redshift-data:ExecuteStatement',
      phase: 'after-effect',
      response: 'drop',
    });
    const emr = (await t.clients.emr
      .send(
        new StartEmrJobRunCommand({
          applicationId: APP,
          executionRoleArn: ROLE,
          clientToken: 'emr-lost-1',
          jobDriver: { sparkSubmit: { entryPoint: 's3://lake/jobs/x.py' } },
        }),
      )
      .catch((e: unknown) => e)) as Error & { $metadata: { httpStatusCode: number } };
    expect([emr.name, emr.$metadata.httpStatusCode]).toEqual(['InternalServerException', 500]);
    const flow = (await t.clients.appflow
      .send(new StartFlowCommand({ flowName: 'crm-lost', clientToken: 'flow-lost-1' }))
      .catch((e: unknown) => e)) as Error & { $metadata: { httpStatusCode: number } };
    expect([flow.name, flow.$metadata.httpStatusCode]).toEqual(['InternalServerException', 500]);
    await expect(
      t.clients.redshift.send(
        new ExecuteStatementCommand({
          WorkgroupName: 'wg',
          Database: 'db',
          Sql: 'SELECT 1',
          StatementName: 'lost-statement',
        }),
      ),
    ).rejects.toThrow(/socket hang up|ECONNRESET/i);

    const started = t.emulator.admin.startCalls({ outcome: 'started' });
    expect(started.find((c) => c.idempotencyKey === 'emr-lost-1')).toMatchObject({
      service: 'emr-serverless',
    });
    expect(started.find((c) => c.idempotencyKey === 'flow-lost-1')).toMatchObject({ service: 'appflow' });
    const statements = await t.clients.redshift.send(
      new ListStatementsCommand({ StatementName: 'lost-statement', Status: 'ALL' }),
    );
    expect(statements.Statements).toHaveLength(1);
  });

  it('loses the answer of a DMS StartReplicationTask with InternalFailure 500 while the task runs', async () => {
    await t.emulator.admin.failNextCalls({ operation: 'dms:StartReplicationTask', phase: 'after-effect' });
    const arn = dmsTaskArn('us-east-1', '123456789012', 'cdc-lost');
    const error = (await t.clients.dms
      .send(
        new StartReplicationTaskCommand({
          ReplicationTaskArn: arn,
          StartReplicationTaskType: 'start-replication',
          CdcStartTime: new Date('2024-01-01T00:00:00Z'),
          CdcStopPosition: 'commit_time:2024-01-01T01:00:00',
        }),
      )
      .catch((e: unknown) => e)) as Error & { $metadata: { httpStatusCode: number } };
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['InternalFailure', 500]);
    const task = await t.clients.dms.send(
      new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [arn] }] }),
    );
    expect(task.ReplicationTasks?.[0]?.Status).not.toBe('ready');
    expect(t.emulator.admin.startCalls({ service: 'dms' }).at(-1)).toMatchObject({ outcome: 'started' });
  });

  it('loses the answer of any other operation too: an S3 PutObject that stored the object', async () => {
    await t.emulator.admin.failNextCalls({ operation: 's3:PutObject', phase: 'after-effect' });
    const s3NoRetry = t.clients.s3;
    await expect(
      s3NoRetry.send(new PutObjectCommand({ Bucket: LAKE, Key: 'lost/put.txt', Body: 'x' })),
    ).rejects.toMatchObject({ name: 'InternalError', $metadata: { httpStatusCode: 500 } });
    const head = await s3NoRetry.send(new HeadObjectCommand({ Bucket: LAKE, Key: 'lost/put.txt' }));
    expect(head.ContentLength).toBe(1);
  });
});

describe('faults before the effect', () => {
  it('drops the connection of a call that then has no effect, logged as rejected', async () => {
    await t.emulator.admin.failNextCalls({ operation: 'glue:StartJobRun', response: 'drop' });
    await expect(startGlue('key-before-drop')).rejects.toThrow(/socket hang up|ECONNRESET/i);
    expect(await glueRunsWithKey('key-before-drop')).toHaveLength(0);
    expect(t.emulator.admin.startCalls({ service: 'glue', operation: 'StartJobRun' }).at(-1)).toMatchObject({
      outcome: 'rejected',
      error: 'ConnectionDropped',
    });
  });

  it('still throttles by default, as before', async () => {
    await t.emulator.admin.failNextCalls({ operation: 'glue:StartJobRun' });
    await expect(startGlue('key-throttled')).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(await glueRunsWithKey('key-throttled')).toHaveLength(0);
  });
});

describe('the rule', () => {
  it('defaults to an error before the effect', () => {
    expect(callFaultRuleSchema.parse({ operation: 'glue:StartJobRun' })).toEqual({
      operation: 'glue:StartJobRun',
      count: 1,
      phase: 'before',
      response: 'error',
    });
  });

  it('names the field and the fix for a bad phase and for an error code on a dropped response', async () => {
    await expect(
      t.emulator.admin.failNextCalls({ operation: 'glue:StartJobRun', phase: 'later' as 'before' }),
    ).rejects.toThrow(/phase.*before, after-effect/s);
    const error = await t.emulator.admin
      .failNextCalls({ operation: 'glue:StartJobRun', response: 'drop', code: 'InternalFailure' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/code.*dropped response has no code/s);
  });

  it('is armed over HTTP like the other call faults', async () => {
    const armed = await fetch(`${t.emulator.endpoint}/_emulator/script/call-faults`, {
      method: 'POST',
      body: JSON.stringify({ operation: 'glue:StartJobRun', phase: 'after-effect', response: 'drop' }),
    });
    expect(armed.status).toBe(200);
    expect(t.emulator.admin.script().callFaults).toEqual([
      { operation: 'glue:StartJobRun', count: 1, phase: 'after-effect', response: 'drop' },
    ]);
    await expect(startGlue('key-http')).rejects.toThrow(/socket hang up|ECONNRESET/i);
    expect(await glueRunsWithKey('key-http')).toHaveLength(1);
  });
});

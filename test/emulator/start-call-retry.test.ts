/**
 * The worker's AWS clients never let the SDK retry a start that has no idempotency token.
 *
 * Glue StartJobRun's input shape (glue/2017-03-31 service-2.json, StartJobRunRequest) and DMS
 * StartReplicationTaskMessage (dms/2016-01-01) have no member with `idempotencyToken: true`: a
 * repeated call is a new start. EMR Serverless StartJobRunRequest.clientToken (emr-serverless/2021-07-13)
 * and AppFlow StartFlowRequest.clientToken (appflow/2020-08-23) are idempotency tokens: the SDK may
 * retry those, and AWS answers the repeat with the first run.
 */
import { StartFlowCommand } from '@aws-sdk/client-appflow';
import { StartReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import { StartJobRunCommand as StartEmrJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { GetJobCommand, GetJobRunsCommand, StartJobRunCommand } from '@aws-sdk/client-glue';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Environment } from '../../core/environment';
import { dmsTaskArn } from '../../emulator/emulator-config';
import { buildAwsClients } from '../../workers/aws-clients';
import { LAKE, type TestEmulator, startJobServicesEmulator } from '../support/emulator-fixture';

const APP = '00emrretry00001';
let t: TestEmulator;
let aws: ReturnType<typeof buildAwsClients>;

beforeAll(async () => {
  t = await startJobServicesEmulator({
    glueJob: 'shared-runner',
    glueMaxConcurrentRuns: 50,
    emrApplication: APP,
    flow: 'crm-retry',
    dmsTask: 'cdc-retry',
  });
  const environment = {
    name: 'test',
    region: 'us-east-1',
    endpoint: t.emulator.endpoint,
    lakeBucket: LAKE,
  } as Environment;
  aws = buildAwsClients(environment, {});
});
afterAll(() => t.close());
afterEach(() => t.emulator.admin.resetScript());

const startsWithKey = (service: string, key: string) =>
  t.emulator.admin.startCalls({ service }).filter((c) => c.idempotencyKey === key);

describe('SDK retries of start calls', () => {
  it('sends a Glue StartJobRun once when its answer is lost: no second run with the same run key', async () => {
    await t.emulator.admin.failNextCalls({ operation: 'glue:StartJobRun', phase: 'after-effect' });
    await expect(
      aws.glue.send(
        new StartJobRunCommand({ JobName: 'shared-runner', Arguments: { '--medallion_run_key': 'k-500' } }),
      ),
    ).rejects.toMatchObject({ name: 'InternalServiceException', $metadata: { attempts: 1 } });
    const runs = (await aws.glue.send(new GetJobRunsCommand({ JobName: 'shared-runner' }))).JobRuns ?? [];
    expect(runs.filter((r) => r.Arguments?.['--medallion_run_key'] === 'k-500')).toHaveLength(1);
    expect(startsWithKey('glue', 'k-500').map((c) => c.outcome)).toEqual(['started']);
  });

  it('sends it once after a dropped connection too', async () => {
    await t.emulator.admin.failNextCalls({
      operation: 'glue:StartJobRun',
      phase: 'after-effect',
      response: 'drop',
    });
    await expect(
      aws.glue.send(
        new StartJobRunCommand({ JobName: 'shared-runner', Arguments: { '--medallion_run_key': 'k-drop' } }),
      ),
    ).rejects.toThrow();
    expect(startsWithKey('glue', 'k-drop').map((c) => c.outcome)).toEqual(['started']);
  });

  it('sends a DMS StartReplicationTask once when its answer is lost', async () => {
    await t.emulator.admin.failNextCalls({ operation: 'dms:StartReplicationTask', phase: 'after-effect' });
    await expect(
      aws.dms.send(
        new StartReplicationTaskCommand({
          ReplicationTaskArn: dmsTaskArn('us-east-1', '123456789012', 'cdc-retry'),
          StartReplicationTaskType: 'start-replication',
          CdcStartTime: new Date('2024-01-01T00:00:00Z'),
          CdcStopPosition: 'commit_time:2024-01-01T01:00:00',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InternalFailure', $metadata: { attempts: 1 } });
    expect(t.emulator.admin.startCalls({ service: 'dms' }).map((c) => c.outcome)).toEqual(['started']);
  });

  it('still retries other Glue calls (a 500 on GetJob is answered by the second attempt)', async () => {
    await t.emulator.admin.failNextCalls({
      operation: 'glue:GetJob',
      code: 'InternalServiceException',
      httpStatus: 500,
    });
    const job = await aws.glue.send(new GetJobCommand({ JobName: 'shared-runner' }));
    expect(job.$metadata.attempts).toBe(2);
  });

  it('retries token-carrying starts: EMR Serverless and AppFlow answer the repeat with the first run', async () => {
    await t.emulator.admin.failNextCalls({ operation: 'emr-serverless:StartJobRun', phase: 'after-effect' });
    await t.emulator.admin.failNextCalls({ operation: 'appflow:StartFlow', phase: 'after-effect' });
    const emr = await aws.emrServerless.send(
      new StartEmrJobRunCommand({
        applicationId: APP,
        executionRoleArn: 'arn:aws:iam::123456789012:role/emr-job',
        clientToken: 'emr-retry-1',
        jobDriver: { sparkSubmit: { entryPoint: 's3://lake/jobs/x.py' } },
      }),
    );
    expect(emr.$metadata.attempts).toBe(2);
    expect(startsWithKey('emr-serverless', 'emr-retry-1').map((c) => [c.outcome, c.runId])).toEqual([
      ['started', emr.jobRunId],
      ['replayed', emr.jobRunId],
    ]);
    const flow = await aws.appflow.send(
      new StartFlowCommand({ flowName: 'crm-retry', clientToken: 'flow-retry-1' }),
    );
    expect(flow.$metadata.attempts).toBe(2);
    expect(startsWithKey('appflow', 'flow-retry-1').map((c) => c.outcome)).toEqual(['started', 'replayed']);
  });
});

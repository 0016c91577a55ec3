import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeFlowExecutionRecordsCommand, StartFlowCommand } from '@aws-sdk/client-appflow';
import {
  DescribeReplicationTasksCommand,
  StartReplicationTaskCommand,
} from '@aws-sdk/client-database-migration-service';
import {
  GetJobRunCommand as GetEmrJobRunCommand,
  StartJobRunCommand as StartEmrJobRunCommand,
} from '@aws-sdk/client-emr-serverless';
import { GetJobRunCommand, StartJobRunCommand } from '@aws-sdk/client-glue';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
} from '@aws-sdk/client-redshift-data';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GLUE_MANIFEST_ARGUMENT } from '../../core/job-manifest';
import { dmsTaskArn } from '../../emulator/emulator-config';
import { LAKE, type TestEmulator, startTestEmulator, waitFor } from '../support/emulator-fixture';

const APP = '00restartapp001';
const TASK_ARN = dmsTaskArn('us-east-1', '123456789012', 'restart-task');
// Every run must still be in flight when the emulator restarts, after the test's seven start calls: at a
// load average of 7 those took longer than 900 ms and the Glue run had already ended.
const IN_FLIGHT_MS = 3000;
let t: TestEmulator;

beforeAll(async () => {
  t = await startTestEmulator({
    s3: { buckets: [LAKE] },
    glue: { jobs: [{ name: 'long-job', durationMs: IN_FLIGHT_MS }] },
    emrServerless: { applications: [{ id: APP, durationMs: IN_FLIGHT_MS }] },
    dms: {
      tasks: [
        {
          id: 'restart-task',
          migrationType: 'cdc',
          schema: 'shop',
          tables: ['orders'],
          seed: 1,
          outputUri: `s3://${LAKE}/bronze/cdc/`,
          durationMs: IN_FLIGHT_MS,
        },
      ],
    },
    appflow: {
      flows: [{ name: 'restart-flow', object: 'accounts', bucket: LAKE, seed: 3, durationMs: IN_FLIGHT_MS }],
    },
    redshift: { workgroups: [{ name: 'wg', databases: ['dev'] }] },
  });
});
afterAll(() => t.close());

describe('restart', () => {
  it('a restarted emulator knows every run it had and finishes those that were in flight', async () => {
    const { glue, emr, dms, appflow, redshift, s3 } = t.clients;
    await s3.send(new PutObjectCommand({ Bucket: LAKE, Key: 'in/x.json', Body: '{}' }));
    const manifest = {
      pipeline: 'shop',
      stageId: 'restart_stage',
      logicalDate: '2024-01-01',
      inputs: [],
      sql: 'SELECT 42 AS answer',
      outputUri: `s3://${LAKE}/silver/restart/dt=2024-01-01/`,
      quarantineUri: `s3://${LAKE}/quarantine/restart/dt=2024-01-01/`,
      metricsUri: `s3://${LAKE}/_medallion/metrics/shop/2024-01-01/restart_stage.json`,
    };
    const glueRun = await glue.send(
      new StartJobRunCommand({
        JobName: 'long-job',
        Arguments: { [GLUE_MANIFEST_ARGUMENT]: JSON.stringify(manifest) },
      }),
    );
    const emrRun = await emr.send(
      new StartEmrJobRunCommand({
        applicationId: APP,
        clientToken: 'restart-token',
        executionRoleArn: 'arn:aws:iam::123456789012:role/r',
        jobDriver: { sparkSubmit: { entryPoint: 'x.py' } },
      }),
    );
    await dms.send(
      new StartReplicationTaskCommand({
        ReplicationTaskArn: TASK_ARN,
        StartReplicationTaskType: 'start-replication',
        CdcStartPosition: '2024-01-01T00:00:00',
        CdcStopPosition: 'commit_time:2024-01-01T12:00:00',
      }),
    );
    const flowRun = await appflow.send(
      new StartFlowCommand({ flowName: 'restart-flow', clientToken: 'flow-token' }),
    );
    await t.emulator.admin.setDuration({ service: 'redshift-data', name: 'held', ms: IN_FLIGHT_MS });
    const created = await redshift.send(
      new ExecuteStatementCommand({
        WorkgroupName: 'wg',
        Database: 'dev',
        Sql: 'CREATE TABLE once (x INTEGER)',
      }),
    );
    // Statements run concurrently, as on Redshift: the INSERT must not start before the table exists.
    await waitFor(
      () => redshift.send(new DescribeStatementCommand({ Id: created.Id })),
      (d) => d.Status === 'FINISHED',
    );
    const batch = await redshift.send(
      new BatchExecuteStatementCommand({
        WorkgroupName: 'wg',
        Database: 'dev',
        StatementName: 'held',
        Sqls: ['INSERT INTO once VALUES (1)'],
      }),
    );
    await waitFor(
      () => glue.send(new GetJobRunCommand({ JobName: 'long-job', RunId: glueRun.JobRunId })),
      (r) => r.JobRun?.JobRunState === 'RUNNING',
    );
    await waitFor(
      () => redshift.send(new DescribeStatementCommand({ Id: batch.Id })),
      (d) => d.Status === 'STARTED',
    );

    await t.restart();

    const c = t.clients;
    const glueDone = await waitFor(
      () => c.glue.send(new GetJobRunCommand({ JobName: 'long-job', RunId: glueRun.JobRunId })),
      (r) => ['SUCCEEDED', 'FAILED'].includes(r.JobRun!.JobRunState!),
    );
    expect(glueDone.JobRun?.JobRunState).toBe('SUCCEEDED');
    const metrics = await readFile(
      join(t.dataDir, 'lake', LAKE, '_medallion/metrics/shop/2024-01-01/restart_stage.json'),
      'utf8',
    );
    expect(JSON.parse(metrics)).toEqual({ rowsIn: 1, rowsOut: 1, quarantined: 0 });

    const emrDone = await waitFor(
      () => c.emr.send(new GetEmrJobRunCommand({ applicationId: APP, jobRunId: emrRun.jobRunId })),
      (r) => ['SUCCESS', 'FAILED'].includes(r.jobRun!.state!),
    );
    expect(emrDone.jobRun?.state).toBe('SUCCESS');
    const replay = await c.emr.send(
      new StartEmrJobRunCommand({
        applicationId: APP,
        clientToken: 'restart-token',
        executionRoleArn: 'arn:aws:iam::123456789012:role/r',
        jobDriver: { sparkSubmit: { entryPoint: 'x.py' } },
      }),
    );
    expect(replay.jobRunId).toBe(emrRun.jobRunId);

    const task = await waitFor(
      () =>
        c.dms.send(
          new DescribeReplicationTasksCommand({
            Filters: [{ Name: 'replication-task-arn', Values: [TASK_ARN] }],
          }),
        ),
      (r) => ['stopped', 'failed'].includes(r.ReplicationTasks![0]!.Status!),
    );
    expect(task.ReplicationTasks?.[0]).toMatchObject({
      Status: 'stopped',
      StopReason: 'Stop Reason STOPPED_AT_COMMIT_TIME',
    });
    expect(task.ReplicationTasks?.[0]?.RecoveryCheckpoint).toMatch(/^checkpoint:V1#1#/);

    const flow = await waitFor(
      () => c.appflow.send(new DescribeFlowExecutionRecordsCommand({ flowName: 'restart-flow' })),
      (r) => r.flowExecutions![0]!.executionStatus !== 'InProgress',
    );
    expect(flow.flowExecutions?.[0]).toMatchObject({
      executionId: flowRun.executionId,
      executionStatus: 'Successful',
    });

    const statement = await waitFor(
      () => c.redshift.send(new DescribeStatementCommand({ Id: batch.Id })),
      (d) => ['FINISHED', 'FAILED', 'ABORTED'].includes(d.Status!),
    );
    expect(statement.Status).toBe('FINISHED');
    const count = await c.redshift.send(
      new ExecuteStatementCommand({ WorkgroupName: 'wg', Database: 'dev', Sql: 'SELECT count(*) FROM once' }),
    );
    await waitFor(
      () => c.redshift.send(new DescribeStatementCommand({ Id: count.Id })),
      (d) => d.Status === 'FINISHED',
    );
    expect((await c.redshift.send(new GetStatementResultCommand({ Id: count.Id }))).Records).toEqual([
      [{ longValue: 1 }],
    ]);

    const started = t.emulator.admin.startCalls({ outcome: 'started' });
    expect(started.filter((call) => call.resource === 'long-job')).toHaveLength(1);
    expect(started.filter((call) => call.resource === APP)).toHaveLength(1);
    expect(t.emulator.admin.startCalls({ resource: APP }).map((call) => call.outcome)).toEqual([
      'started',
      'replayed',
    ]);
  });
});

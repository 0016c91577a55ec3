import { DescribeFlowExecutionRecordsCommand, StartFlowCommand } from '@aws-sdk/client-appflow';
import {
  DescribeReplicationTasksCommand,
  StartReplicationTaskCommand,
} from '@aws-sdk/client-database-migration-service';
import { GetJobRunCommand, StartJobRunCommand } from '@aws-sdk/client-glue';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
} from '@aws-sdk/client-redshift-data';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GLUE_MANIFEST_ARGUMENT, type JobManifest } from '../../core/job-manifest';
import { lakeLayout } from '../../core/lake-layout';
import { buildShopEmulatorConfig, shopEmulatorNames as names } from '../../emulator/shop-emulator-config';
import { type RunningEmulator, startEmulator } from '../../emulator/start-emulator';
import { FAST_TIMING, newDataDir, type SdkClients, sdkClients, waitFor } from '../support/emulator-fixture';

const BUCKET = 'shop-lake';
let emulator: RunningEmulator;
let c: SdkClients;
let dataDir: string;

beforeAll(async () => {
  dataDir = await newDataDir();
  // no sources / runner injected: the emulator wires the shop simulator and the DuckDB job runner itself
  emulator = await startEmulator({
    dataDir,
    config: buildShopEmulatorConfig({
      bucket: BUCKET,
      seed: 42,
      timeZone: 'UTC',
      timing: FAST_TIMING,
    }),
  });
  c = sdkClients(emulator.endpoint);
});
afterAll(async () => {
  await emulator.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the shop pipeline on the real data plane', () => {
  it('replicates a CDC day, snapshots the CRM, runs a silver job and queries the lake from the warehouse', async () => {
    const taskArn = emulator.config.dms.tasks[0]!.arn;
    await c.dms.send(
      new StartReplicationTaskCommand({
        ReplicationTaskArn: taskArn,
        StartReplicationTaskType: 'start-replication',
        CdcStartTime: new Date('2024-01-01T00:00:00Z'),
        CdcStopPosition: 'commit_time:2024-01-02T00:00:00',
      }),
    );
    const task = await waitFor(
      () =>
        c.dms.send(
          new DescribeReplicationTasksCommand({
            Filters: [{ Name: 'replication-task-arn', Values: [taskArn] }],
          }),
        ),
      (r) => ['stopped', 'failed'].includes(r.ReplicationTasks![0]!.Status!),
      20_000,
    );
    expect(task.ReplicationTasks?.[0]).toMatchObject({
      Status: 'stopped',
      StopReason: 'Stop Reason STOPPED_AT_COMMIT_TIME',
    });
    const landed = await c.s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'bronze/cdc/shop/orders/2024/01/01/' }),
    );
    expect(landed.KeyCount).toBeGreaterThan(0);

    const { executionId } = await c.appflow.send(
      new StartFlowCommand({ flowName: names.crmFlow, clientToken: 'crm-2024-01-01' }),
    );
    const flow = await waitFor(
      () => c.appflow.send(new DescribeFlowExecutionRecordsCommand({ flowName: names.crmFlow })),
      (r) => r.flowExecutions![0]!.executionStatus !== 'InProgress',
      20_000,
    );
    expect(flow.flowExecutions?.[0]).toMatchObject({ executionId, executionStatus: 'Successful' });
    expect(flow.flowExecutions?.[0]?.executionResult?.recordsProcessed).toBeGreaterThan(0);

    const manifest: JobManifest = {
      pipeline: 'shop',
      stageId: 'silver_orders_count',
      logicalDate: '2024-01-01',
      inputs: [{ name: 'orders', uri: lakeLayout.cdcTable(BUCKET, 'shop', 'orders', '2024-01-01') }],
      sql: "SELECT count(*) AS changes, '${logical_date}' AS dt FROM orders",
      outputUri: lakeLayout.silver(BUCKET, 'orders_count', '2024-01-01'),
      quarantineUri: lakeLayout.quarantine(BUCKET, 'silver_orders_count', '2024-01-01'),
      metricsUri: lakeLayout.metrics(BUCKET, 'shop', '2024-01-01', 'silver_orders_count'),
    };
    const { JobRunId } = await c.glue.send(
      new StartJobRunCommand({
        JobName: names.sqlRunnerJob,
        Arguments: { [GLUE_MANIFEST_ARGUMENT]: JSON.stringify(manifest) },
      }),
    );
    const run = await waitFor(
      () => c.glue.send(new GetJobRunCommand({ JobName: names.sqlRunnerJob, RunId: JobRunId })),
      (r) => ['SUCCEEDED', 'FAILED'].includes(r.JobRun!.JobRunState!),
      20_000,
    );
    expect(run.JobRun).toMatchObject({ JobRunState: 'SUCCEEDED' });
    const metrics = await c.s3.send(
      new GetObjectCommand({
        Bucket: BUCKET,
        Key: '_medallion/metrics/shop/2024-01-01/silver_orders_count.json',
      }),
    );
    expect(JSON.parse(await metrics.Body!.transformToString())).toMatchObject({
      rowsIn: 1,
      rowsOut: 1,
      quarantined: 0,
    });

    const { Id } = await c.redshift.send(
      new ExecuteStatementCommand({
        WorkgroupName: names.workgroup,
        Database: names.database,
        Sql: `SELECT changes FROM read_parquet('${lakeLayout.silver(BUCKET, 'orders_count', '2024-01-01')}*.parquet')`,
      }),
    );
    await waitFor(
      () => c.redshift.send(new DescribeStatementCommand({ Id })),
      (d) => ['FINISHED', 'FAILED'].includes(d.Status!),
    );
    const rows = await c.redshift.send(new GetStatementResultCommand({ Id }));
    expect(rows.Records?.[0]?.[0]?.longValue).toBeGreaterThan(0);
  }, 60_000);
});

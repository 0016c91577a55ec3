import {
  AppflowClient,
  CancelFlowExecutionsCommand,
  ConflictException,
  DescribeFlowCommand,
  type DescribeFlowResponse,
  DescribeFlowExecutionRecordsCommand,
  type ExecutionRecord,
  type ExecutionStatus,
  ResourceNotFoundException,
  StartFlowCommand,
  ThrottlingException,
} from '@aws-sdk/client-appflow';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FailureType } from '../../core/errors';
import { lakeLayout } from '../../core/lake-layout';
import type { AppFlowStageInput } from '../../core/stage-io';
import { createAppFlowActivities } from '../../activities/appflow';
import { createS3Activities } from '../../activities/s3';
import {
  cancelAtState,
  clientConfig,
  expectCancelled,
  expectFailure,
  FAST_POLL,
  harness,
  identity,
  jsonBody,
  previousAttempt,
  workerShutdown,
} from '../support/activity-harness';

const appflow = new AppflowClient(clientConfig);
const s3 = new S3Client(clientConfig);
const appflowMock = mockClient(appflow);
const s3Mock = mockClient(s3);
const { runAppFlowStage } = createAppFlowActivities({ appflow, s3: createS3Activities(s3) });

const stage = identity('saas_accounts');
const input = (): AppFlowStageInput => ({
  kind: 'appflow',
  identity: stage,
  poll: FAST_POLL,
  flowName: 'shop-accounts',
  outputPrefix: lakeLayout.saasSnapshot('lake', 'accounts', '2024-05-02'),
});
const markerKey = `_medallion/appflow/shop-accounts/${stage.runKey}.json`;
const rawKey = 'bronze/saas/_appflow/shop-accounts/exec-1/';
const snapshotKey = 'bronze/saas/accounts/dt=2024-05-02/';
const meta = { $metadata: {} };
const consoleUrl =
  'https://eu-west-1.console.aws.amazon.com/appflow/home?region=eu-west-1#/details/shop-accounts?tab=runHistory';

function record(executionStatus: ExecutionStatus, executionId = 'exec-1'): ExecutionRecord {
  return {
    executionId,
    executionStatus,
    startedAt: new Date('2024-05-03T02:00:00Z'),
    executionResult: {
      recordsProcessed: 120,
      bytesWritten: 4096,
      errorInfo: { executionMessage: 'Salesforce: INVALID_SESSION_ID' },
    },
  };
}

/** Each poll pages through the records: an older execution first, ours on the second page. */
function executions(...statuses: ExecutionStatus[]) {
  const older = { flowExecutions: [record('Successful', 'exec-0')], nextToken: 'page-2' };
  const behavior = appflowMock.on(DescribeFlowExecutionRecordsCommand, { nextToken: 'page-2' });
  for (const status of statuses.slice(0, -1)) behavior.resolvesOnce({ flowExecutions: [record(status)] });
  behavior.resolves({ flowExecutions: [record(statuses.at(-1)!)] });
  appflowMock.on(DescribeFlowExecutionRecordsCommand, { nextToken: undefined }).resolves(older);
}

function s3Objects(listing: Record<string, string[]>) {
  s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
  for (const [prefix, keys] of Object.entries(listing)) {
    s3Mock.on(ListObjectsV2Command, { Prefix: prefix }).resolves({ Contents: keys.map((Key) => ({ Key })) });
  }
}

/** DescribeFlow of an on-demand flow with an S3 destination (appflow/2020-08-23 S3DestinationProperties). */
function flowWithS3Output(
  format: NonNullable<
    NonNullable<
      NonNullable<DescribeFlowResponse['destinationFlowConfigList']>[number]['destinationConnectorProperties']
    >['S3']
  >['s3OutputFormatConfig'],
  bucketPrefix = 'bronze/saas/_appflow',
): DescribeFlowResponse {
  return {
    flowName: 'shop-accounts',
    schemaVersion: 3,
    destinationFlowConfigList: [
      {
        connectorType: 'S3',
        destinationConnectorProperties: {
          S3: { bucketName: 'lake', bucketPrefix, s3OutputFormatConfig: format },
        },
      },
    ],
  };
}

beforeEach(() => {
  appflowMock.reset();
  s3Mock.reset();
  appflowMock.on(DescribeFlowCommand).resolves(
    flowWithS3Output({
      fileType: 'PARQUET',
      prefixConfig: { pathPrefixHierarchy: ['EXECUTION_ID'] },
      aggregationConfig: { aggregationType: 'None' },
    }),
  );
  appflowMock.on(StartFlowCommand).resolves({ executionId: 'exec-1', flowStatus: 'Active' });
  s3Mock.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'missing', ...meta }));
  s3Mock.on(PutObjectCommand).resolves({});
  s3Mock.on(CopyObjectCommand).resolves({});
  s3Mock.on(DeleteObjectsCommand).resolves({});
  s3Objects({
    [rawKey]: [`${rawKey}b-file.parquet`, `${rawKey}a-file.parquet`],
    [snapshotKey]: [
      `${snapshotKey}part-00000.parquet`,
      `${snapshotKey}part-00001.parquet`,
      `${snapshotKey}part-00002.parquet`,
    ],
  });
});

describe('runAppFlowStage', () => {
  it('starts the flow with clientToken = run key, records a marker, polls records and copies the snapshot', async () => {
    executions('InProgress', 'InProgress', 'Successful');
    const h = harness();
    const result = await h.run(runAppFlowStage, input());
    expect(appflowMock.commandCalls(StartFlowCommand)[0]!.args[0].input).toEqual({
      flowName: 'shop-accounts',
      clientToken: stage.runKey,
    });
    const marker = s3Mock.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key === markerKey);
    expect(JSON.parse(marker!.args[0].input.Body as string)).toMatchObject({
      executionId: 'exec-1',
      runKey: stage.runKey,
    });
    // Stale snapshot objects go first, then the execution's files get deterministic names in key order.
    expect(s3Mock.commandCalls(DeleteObjectsCommand)[0]!.args[0].input.Delete!.Objects).toEqual([
      { Key: `${snapshotKey}part-00000.parquet` },
      { Key: `${snapshotKey}part-00001.parquet` },
      { Key: `${snapshotKey}part-00002.parquet` },
    ]);
    expect(s3Mock.commandCalls(CopyObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'lake', Key: `${snapshotKey}part-00000.parquet`, CopySource: `lake/${rawKey}a-file.parquet` },
      { Bucket: 'lake', Key: `${snapshotKey}part-00001.parquet`, CopySource: `lake/${rawKey}b-file.parquet` },
    ]);
    expect(result).toMatchObject({
      awsRunId: 'exec-1',
      awsState: 'Successful',
      attached: false,
      rowsIn: 120,
      rowsOut: 120,
      consoleUrl,
      details: {
        statusCalls: 3,
        objectsCopied: 2,
        staleObjectsDeleted: 3,
        bytesWritten: 4096,
        executionId: 'exec-1',
      },
    });
    expect(h.heartbeats[0]).toMatchObject({ awsRunId: 'exec-1', awsState: 'STARTED' });
  });

  it.each<ExecutionStatus>(['InProgress', 'Successful'])(
    'attaches to the %s execution named by its run marker without StartFlow',
    async (status) => {
      s3Mock
        .on(GetObjectCommand, { Key: markerKey })
        .resolves(jsonBody({ executionId: 'exec-1', runKey: stage.runKey }));
      executions(status, 'Successful');
      const result = await harness().run(runAppFlowStage, input());
      expect(appflowMock.commandCalls(StartFlowCommand)).toHaveLength(0);
      expect(result).toMatchObject({
        awsRunId: 'exec-1',
        attached: true,
        startedAt: '2024-05-03T02:00:00.000Z',
      });
    },
  );

  it('starts again when the marked execution failed', async () => {
    s3Mock
      .on(GetObjectCommand, { Key: markerKey })
      .resolves(jsonBody({ executionId: 'exec-1', runKey: stage.runKey }));
    executions('Error', 'Successful');
    await harness().run(runAppFlowStage, input());
    expect(appflowMock.commandCalls(StartFlowCommand)).toHaveLength(1);
  });

  it('resumes from heartbeat details without StartFlow', async () => {
    executions('Successful');
    const h = harness(
      previousAttempt({
        awsRunId: 'exec-1',
        awsState: 'InProgress',
        startedAt: '2024-05-03T02:00:00.000Z',
        polls: 1,
      }),
    );
    const result = await h.run(runAppFlowStage, input());
    expect(appflowMock.commandCalls(StartFlowCommand)).toHaveLength(0);
    expect(result).toMatchObject({ attached: true, details: { statusCalls: 2 } });
  });

  it.each<ExecutionStatus>(['Error', 'Canceled'])(
    'fails without retry when the execution ends %s',
    async (status) => {
      executions('InProgress', status);
      await expectFailure(harness().run(runAppFlowStage, input()), {
        type: FailureType.AwsJobFailed,
        nonRetryable: true,
        messageIncludes: [
          `AppFlow shop-accounts run exec-1 ended ${status}: Salesforce: INVALID_SESSION_ID (${consoleUrl})`,
        ],
      });
      expect(s3Mock.commandCalls(CopyObjectCommand)).toHaveLength(0);
    },
  );

  // API reference, ExecutionStatus (appflow/2020-08-23 service-2.json): CancelStarted precedes Canceled,
  // and the execution may still write to the destination until it is Canceled.
  it('waits through CancelStarted and fails only once the execution is Canceled', async () => {
    executions('InProgress', 'CancelStarted', 'CancelStarted', 'Canceled');
    await expectFailure(harness().run(runAppFlowStage, input()), {
      type: FailureType.AwsJobFailed,
      nonRetryable: true,
      messageIncludes: ['run exec-1 ended Canceled'],
    });
    // Two pages per poll (the execution is on the second): four polls.
    expect(appflowMock.commandCalls(DescribeFlowExecutionRecordsCommand)).toHaveLength(8);
    expect(appflowMock.commandCalls(CancelFlowExecutionsCommand)).toHaveLength(0);
  });

  describe("the execution's files, from the flow's own S3 destination config", () => {
    it('names the copies after fileType: AppFlow objects carry no extension', async () => {
      executions('Successful');
      s3Objects({ [rawKey]: [`${rawKey}exec-1-part-1`, `${rawKey}exec-1-part-0`] });
      await harness().run(runAppFlowStage, input());
      expect(s3Mock.commandCalls(CopyObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
        `${snapshotKey}part-00000.parquet`,
        `${snapshotKey}part-00001.parquet`,
      ]);
    });

    it('reads the folder the config names: bucketPrefix, then pathPrefixHierarchy in order', async () => {
      appflowMock.on(DescribeFlowCommand).resolves(
        flowWithS3Output(
          {
            fileType: 'PARQUET',
            prefixConfig: { pathPrefixHierarchy: ['SCHEMA_VERSION', 'EXECUTION_ID'] },
          },
          'appflow-out/',
        ),
      );
      executions('Successful');
      const folder = 'appflow-out/shop-accounts/3/exec-1/';
      s3Objects({ [folder]: [`${folder}x`] });
      const result = await harness().run(runAppFlowStage, input());
      expect(s3Mock.commandCalls(CopyObjectCommand).map((c) => c.args[0].input.CopySource)).toEqual([
        `lake/${folder}x`,
      ]);
      expect(result.details).toMatchObject({ rawPrefix: `s3://lake/${folder}`, objectsCopied: 1 });
    });

    it.each([
      [
        { fileType: 'CSV' as const },
        'writes CSV files (s3OutputFormatConfig.fileType)',
        'set fileType to PARQUET',
      ],
      [{}, 'writes JSON files', 'set fileType to PARQUET'],
      [
        {
          fileType: 'PARQUET' as const,
          prefixConfig: { prefixType: 'PATH' as const, prefixFormat: 'DAY' as const },
        },
        'prefixConfig.prefixType PATH',
        'use prefixType FILENAME or none',
      ],
      [
        { fileType: 'PARQUET' as const, prefixConfig: { pathPrefixHierarchy: ['SCHEMA_VERSION' as const] } },
        'no execution folder',
        'add EXECUTION_ID to pathPrefixHierarchy',
      ],
    ])(
      'refuses a flow whose output it cannot isolate or read (%o), before running it',
      async (format, what, fix) => {
        appflowMock.on(DescribeFlowCommand).resolves(flowWithS3Output(format));
        await expectFailure(harness().run(runAppFlowStage, input()), {
          type: FailureType.InvalidConfig,
          nonRetryable: true,
          messageIncludes: ['AppFlow shop-accounts', what, fix],
        });
        expect(appflowMock.commandCalls(StartFlowCommand)).toHaveLength(0);
      },
    );
  });

  it('fails without retry when records were processed but nothing landed', async () => {
    executions('Successful');
    s3Objects({});
    await expectFailure(harness().run(runAppFlowStage, input()), {
      type: FailureType.AwsNotFound,
      nonRetryable: true,
      messageIncludes: [`nothing landed`, `s3://lake/${rawKey}`],
    });
  });

  it('cancels the execution when the workflow cancels and waits for Canceled', async () => {
    let cancelRequested = false;
    appflowMock.on(CancelFlowExecutionsCommand).callsFake(() => {
      cancelRequested = true;
      return Promise.resolve({ invalidExecutions: [] });
    });
    let after = 0;
    appflowMock.on(DescribeFlowExecutionRecordsCommand).callsFake(() => {
      if (!cancelRequested) return Promise.resolve({ flowExecutions: [record('InProgress')] });
      after += 1;
      return Promise.resolve({ flowExecutions: [record(after < 2 ? 'CancelStarted' : 'Canceled')] });
    });
    const h = harness();
    cancelAtState(h, 'InProgress');
    await expectCancelled(h.run(runAppFlowStage, input()));
    expect(appflowMock.commandCalls(CancelFlowExecutionsCommand)[0]!.args[0].input).toEqual({
      flowName: 'shop-accounts',
      executionIds: ['exec-1'],
    });
    expect(after).toBe(2);
  });

  it('leaves the execution running on worker shutdown', async () => {
    executions('InProgress');
    const h = harness();
    cancelAtState(h, 'InProgress', workerShutdown());
    await expectCancelled(h.run(runAppFlowStage, input()));
    expect(appflowMock.commandCalls(CancelFlowExecutionsCommand)).toHaveLength(0);
  });

  it.each([
    [
      'throttling',
      new ThrottlingException({ message: 'Rate exceeded', ...meta }),
      FailureType.AwsThrottled,
      false,
    ],
    // appflow/2020-08-23 StartFlow: ConflictException is a state that passes (defect 6): retried.
    [
      "a conflict in the flow's state",
      new ConflictException({ message: 'flow is being updated', ...meta }),
      FailureType.AwsConcurrencyLimit,
      false,
    ],
    [
      'a missing flow',
      new ResourceNotFoundException({ message: 'flow not found', ...meta }),
      FailureType.AwsNotFound,
      true,
    ],
  ])('classifies %s on StartFlow', async (_label, error, type, nonRetryable) => {
    appflowMock.on(StartFlowCommand).rejects(error);
    await expectFailure(harness().run(runAppFlowStage, input()), {
      type,
      nonRetryable,
      messageIncludes: [`AppFlow shop-accounts: StartFlow failed with ${error.name}: ${error.message}`],
    });
  });

  it('refuses to run a flow that is not on-demand (no execution id)', async () => {
    appflowMock.on(StartFlowCommand).resolves({ flowStatus: 'Active' });
    await expectFailure(harness().run(runAppFlowStage, input()), {
      type: FailureType.InvalidConfig,
      nonRetryable: true,
      messageIncludes: ['OnDemand'],
    });
  });
});

import {
  AccessDeniedFault,
  DatabaseMigrationServiceClient,
  DatabaseMigrationServiceServiceException,
  DescribeReplicationTasksCommand,
  InvalidResourceStateFault,
  type ReplicationTask,
  ResourceNotFoundFault,
  StartReplicationTaskCommand,
  StopReplicationTaskCommand,
} from '@aws-sdk/client-database-migration-service';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FailureType } from '../../core/errors';
import type { DmsStageInput } from '../../core/stage-io';
import {
  commitTimeStopPosition,
  createDmsActivities,
  DMS_STOP_REASON_COMMIT_TIME,
} from '../../activities/dms';
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

const dms = new DatabaseMigrationServiceClient(clientConfig);
const s3 = new S3Client(clientConfig);
const dmsMock = mockClient(dms);
const s3Mock = mockClient(s3);
const { runDmsStage } = createDmsActivities({ dms, s3: createS3Activities(s3) });

const taskArn = 'arn:aws:dms:eu-west-1:123456789012:task:ABCDEFG';
const ours = 'commit_time:2024-05-02T22:00:00';
const input = (overrides: Partial<DmsStageInput> = {}): DmsStageInput => ({
  kind: 'dms',
  identity: identity('cdc_shop'),
  poll: FAST_POLL,
  replicationTaskArn: taskArn,
  windowStartUtc: '2024-05-01T22:00:00.000Z',
  windowEndUtc: '2024-05-02T22:00:00.000Z',
  checkpointPrefix: 's3://lake/_medallion/dms/shop-cdc/',
  tables: ['orders', 'customers'],
  outputPrefix: 's3://lake/bronze/cdc/',
  ...overrides,
});
const meta = { $metadata: {} };
const consoleUrl =
  'https://eu-west-1.console.aws.amazon.com/dms/v2/home?region=eu-west-1#taskDetails/shop-cdc';

function task(Status: string, extra: Partial<ReplicationTask> = {}): ReplicationTask {
  return {
    ReplicationTaskArn: taskArn,
    ReplicationTaskIdentifier: 'shop-cdc',
    MigrationType: 'cdc',
    Status,
    ...extra,
  };
}
const running = task('running', { CdcStopPosition: ours });
const finished = task('stopped', {
  CdcStopPosition: ours,
  StopReason: DMS_STOP_REASON_COMMIT_TIME,
  RecoveryCheckpoint: 'checkpoint:V1#34#000001/0A0B#0#0#*#0#0',
});

function taskStates(...states: ReplicationTask[]) {
  const behavior = dmsMock.on(DescribeReplicationTasksCommand);
  for (const state of states.slice(0, -1)) behavior.resolvesOnce({ ReplicationTasks: [state] });
  behavior.resolves({ ReplicationTasks: [states.at(-1)!] });
}

function checkpoints(objects: Record<string, unknown>) {
  s3Mock.on(ListObjectsV2Command).resolves({
    Contents: Object.keys(objects).map((name) => ({ Key: `_medallion/dms/shop-cdc/${name}` })),
  });
  s3Mock.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'missing', ...meta }));
  for (const [name, body] of Object.entries(objects)) {
    s3Mock.on(GetObjectCommand, { Key: `_medallion/dms/shop-cdc/${name}` }).resolves(jsonBody(body));
  }
}

function writtenCheckpoint(): unknown {
  const put = s3Mock.commandCalls(PutObjectCommand);
  expect(put).toHaveLength(1);
  expect(put[0]!.args[0].input.Key).toBe('_medallion/dms/shop-cdc/2024-05-02.json');
  return JSON.parse(put[0]!.args[0].input.Body as string);
}

beforeEach(() => {
  dmsMock.reset();
  s3Mock.reset();
  dmsMock.on(StartReplicationTaskCommand).resolves({ ReplicationTask: task('starting') });
  s3Mock.on(PutObjectCommand).resolves({});
  checkpoints({});
});

describe('runDmsStage', () => {
  it('turns the window end into a commit_time stop position in whole UTC seconds', () => {
    expect(commitTimeStopPosition('2024-05-02T22:00:00.000Z')).toBe(ours);
    expect(commitTimeStopPosition('2024-05-03T00:00:00+02:00')).toBe(ours);
  });

  // StartReplicationTask (botocore dms 2016-01-01): "For a cdc only task, to start from a specific
  // position, you must use start-replication and also specify the start position"; without one the task
  // captures from now, after the day has ended. The first window starts at the day's start.
  it('first run: start-replication at the day start (CdcStartTime), waits for the stop at its position, writes the checkpoint', async () => {
    taskStates(
      task('ready'),
      task('starting', { CdcStopPosition: ours }),
      running,
      task('stopping', { CdcStopPosition: ours }),
      finished,
    );
    const h = harness();
    const result = await h.run(runDmsStage, input());
    expect(dmsMock.commandCalls(StartReplicationTaskCommand)[0]!.args[0].input).toEqual({
      ReplicationTaskArn: taskArn,
      StartReplicationTaskType: 'start-replication',
      CdcStartTime: new Date('2024-05-01T22:00:00.000Z'),
      CdcStopPosition: ours,
    });
    const checkpoint = {
      logicalDate: '2024-05-02',
      recoveryCheckpoint: 'checkpoint:V1#34#000001/0A0B#0#0#*#0#0',
      stopPosition: ours,
      taskArn,
    };
    expect(writtenCheckpoint()).toEqual({ ...checkpoint, generation: 0 });
    expect(result).toMatchObject({
      awsRunId: taskArn,
      awsState: 'stopped',
      attached: false,
      consoleUrl,
      details: {
        ...checkpoint,
        checkpointUri: 's3://lake/_medallion/dms/shop-cdc/2024-05-02.json',
        startType: 'start-replication',
        statusCalls: 4,
      },
    });
    expect(h.heartbeats[0]).toMatchObject({ awsRunId: taskArn, awsState: 'STARTED' });
  });

  const earlierCheckpoints = {
    '2024-04-30.json': {
      logicalDate: '2024-04-30',
      recoveryCheckpoint: 'cp-30',
      stopPosition: 'commit_time:2024-04-30T22:00:00',
      taskArn,
    },
    '2024-05-01.json': {
      logicalDate: '2024-05-01',
      recoveryCheckpoint: 'cp-01',
      stopPosition: 'commit_time:2024-05-01T22:00:00',
      taskArn,
    },
    '2024-05-04.json': {
      logicalDate: '2024-05-04',
      recoveryCheckpoint: 'cp-04',
      stopPosition: 'commit_time:2024-05-04T22:00:00',
      taskArn,
    },
  };

  // "Otherwise use resume-processing, to replicate the changes from the last stop position": it takes
  // no start position (botocore dms 2016-01-01, StartReplicationTaskType).
  it('next date: resume-processing, without a position, when the task last stopped at the previous window end', async () => {
    checkpoints(earlierCheckpoints);
    taskStates(
      task('stopped', {
        CdcStopPosition: 'commit_time:2024-05-01T22:00:00',
        StopReason: DMS_STOP_REASON_COMMIT_TIME,
        RecoveryCheckpoint: 'cp-01',
      }),
      running,
      finished,
    );
    const result = await harness().run(runDmsStage, input());
    expect(dmsMock.commandCalls(StartReplicationTaskCommand)[0]!.args[0].input).toEqual({
      ReplicationTaskArn: taskArn,
      StartReplicationTaskType: 'resume-processing',
      CdcStopPosition: ours,
    });
    expect(result.details).toMatchObject({
      previousCheckpointDate: '2024-05-01',
      startType: 'resume-processing',
    });
  });

  it('a window whose start is not where the task last stopped: start-replication from the previous checkpoint', async () => {
    checkpoints(earlierCheckpoints);
    // The task went on to 2024-05-04 (a later date ran first); this window must still start at cp-01.
    taskStates(
      task('stopped', {
        CdcStopPosition: 'commit_time:2024-05-04T22:00:00',
        StopReason: DMS_STOP_REASON_COMMIT_TIME,
        RecoveryCheckpoint: 'cp-04',
      }),
      running,
      finished,
    );
    await harness().run(runDmsStage, input());
    expect(dmsMock.commandCalls(StartReplicationTaskCommand)[0]!.args[0].input).toEqual({
      ReplicationTaskArn: taskArn,
      StartReplicationTaskType: 'start-replication',
      CdcStartPosition: 'cp-01',
      CdcStopPosition: ours,
    });
  });

  it('refuses a start position on a full-load task, which captures no changes, before calling StartReplicationTask', async () => {
    taskStates(task('ready', { MigrationType: 'full-load' }));
    await expectFailure(harness().run(runDmsStage, input()), {
      type: FailureType.InvalidConfig,
      nonRetryable: true,
      messageIncludes: [
        'task is full-load',
        'MigrationType full-load-and-cdc or cdc',
        '2024-05-01T22:00:00.000Z',
      ],
    });
    expect(dmsMock.commandCalls(StartReplicationTaskCommand)).toHaveLength(0);
  });

  it('extracts the window again when a later generation runs the stage (a deliberate rerun of it)', async () => {
    checkpoints({
      '2024-05-01.json': earlierCheckpoints['2024-05-01.json'],
      '2024-05-02.json': {
        logicalDate: '2024-05-02',
        recoveryCheckpoint: 'cp-02',
        stopPosition: ours,
        taskArn,
      },
    });
    // The task still stands where generation 0's window stopped: that run is not this generation's.
    const generation0 = task('stopped', {
      CdcStopPosition: ours,
      StopReason: DMS_STOP_REASON_COMMIT_TIME,
      RecoveryCheckpoint: 'cp-02',
    });
    taskStates(generation0, running, { ...finished, RecoveryCheckpoint: 'cp-02b' });
    const result = await harness().run(runDmsStage, input({ identity: identity('cdc_shop', 1) }));
    expect(dmsMock.commandCalls(StartReplicationTaskCommand).map((c) => c.args[0].input)).toEqual([
      {
        ReplicationTaskArn: taskArn,
        StartReplicationTaskType: 'start-replication',
        CdcStartPosition: 'cp-01',
        CdcStopPosition: ours,
      },
    ]);
    expect(writtenCheckpoint()).toMatchObject({ recoveryCheckpoint: 'cp-02b', generation: 1 });
    expect(result.attached).toBe(false);
  });

  it('attaches to the task running toward its stop position', async () => {
    taskStates(running, running, finished);
    const result = await harness().run(runDmsStage, input());
    expect(dmsMock.commandCalls(StartReplicationTaskCommand)).toHaveLength(0);
    expect(result.attached).toBe(true);
    expect(writtenCheckpoint()).toMatchObject({ stopPosition: ours });
  });

  it('treats a task already stopped at its position as done (the checkpoint write was lost)', async () => {
    taskStates(finished);
    const result = await harness().run(runDmsStage, input());
    expect(dmsMock.commandCalls(StartReplicationTaskCommand)).toHaveLength(0);
    expect(result).toMatchObject({ attached: true, awsState: 'stopped' });
  });

  it('does nothing when this date already has its checkpoint', async () => {
    checkpoints({
      '2024-05-02.json': {
        logicalDate: '2024-05-02',
        recoveryCheckpoint: 'cp-02',
        stopPosition: ours,
        taskArn,
      },
    });
    const result = await harness().run(runDmsStage, input());
    expect(dmsMock.calls()).toHaveLength(0);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(result).toMatchObject({
      attached: true,
      details: { recoveryCheckpoint: 'cp-02', statusCalls: 0 },
    });
  });

  it('resumes from heartbeat details without starting the task', async () => {
    taskStates(task('stopped', { CdcStopPosition: 'commit_time:2024-05-01T22:00:00' }), running, finished);
    const h = harness(
      previousAttempt({
        awsRunId: taskArn,
        awsState: 'running',
        startedAt: '2024-05-03T02:00:00.000Z',
        polls: 2,
      }),
    );
    const result = await h.run(runDmsStage, input());
    expect(dmsMock.commandCalls(StartReplicationTaskCommand)).toHaveLength(0);
    expect(result.details).toMatchObject({ statusCalls: 4 });
  });

  it.each([
    [
      'failed',
      task('failed', { CdcStopPosition: ours, LastFailureMessage: 'Error reading binlog' }),
      'Error reading binlog',
    ],
    [
      'stopped by hand',
      task('stopped', { CdcStopPosition: ours, StopReason: 'Stop Reason NORMAL', LastFailureMessage: '' }),
      'Stop Reason NORMAL',
    ],
    [
      'stopped with a fatal error',
      task('stopped', {
        CdcStopPosition: ours,
        StopReason: 'Stop Reason FATAL_ERROR',
        LastFailureMessage: 'Out of disk',
      }),
      'Stop Reason FATAL_ERROR; Out of disk',
    ],
  ])('fails without retry when the task ends %s', async (_label, end, message) => {
    taskStates(task('ready'), running, end);
    await expectFailure(harness().run(runDmsStage, input()), {
      type: FailureType.AwsJobFailed,
      nonRetryable: true,
      messageIncludes: [`DMS shop-cdc run ${taskArn} ended ${end.Status}: ${message}`, consoleUrl],
    });
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('waits (retryable) while the task still runs an earlier window', async () => {
    taskStates(task('running', { CdcStopPosition: 'commit_time:2024-05-01T22:00:00' }));
    await expectFailure(harness().run(runDmsStage, input()), {
      type: FailureType.AwsConcurrencyLimit,
      nonRetryable: false,
      messageIncludes: ['earlier window'],
    });
  });

  it('refuses a task running without a stop position (not a window of this pipeline)', async () => {
    taskStates(task('running'));
    await expectFailure(harness().run(runDmsStage, input()), {
      type: FailureType.InvalidConfig,
      nonRetryable: true,
      messageIncludes: ['needs the task to itself'],
    });
  });

  it('stops the task when the workflow cancels, waits for stopped, rethrows', async () => {
    let stopRequested = false;
    dmsMock.on(StopReplicationTaskCommand).callsFake(() => {
      stopRequested = true;
      return Promise.resolve({});
    });
    let after = 0;
    dmsMock.on(DescribeReplicationTasksCommand).callsFake(() => {
      if (!stopRequested) return Promise.resolve({ ReplicationTasks: [running] });
      after += 1;
      const state =
        after < 2
          ? task('stopping', { CdcStopPosition: ours })
          : task('stopped', { CdcStopPosition: ours, StopReason: 'Stop Reason NORMAL' });
      return Promise.resolve({ ReplicationTasks: [state] });
    });
    const h = harness();
    cancelAtState(h, 'running');
    await expectCancelled(h.run(runDmsStage, input()));
    expect(dmsMock.commandCalls(StopReplicationTaskCommand)[0]!.args[0].input).toEqual({
      ReplicationTaskArn: taskArn,
    });
    expect(after).toBe(2);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('leaves the task running on worker shutdown', async () => {
    taskStates(running);
    const h = harness();
    cancelAtState(h, 'running', workerShutdown());
    await expectCancelled(h.run(runDmsStage, input()));
    expect(dmsMock.commandCalls(StopReplicationTaskCommand)).toHaveLength(0);
  });

  it.each([
    [
      'throttling',
      new DatabaseMigrationServiceServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        ...meta,
      }),
      FailureType.AwsThrottled,
      false,
    ],
    [
      // Transient: retried with the stage's backoff, bounded by its attempts.
      'a task in the wrong state',
      new InvalidResourceStateFault({ message: 'task is modifying', ...meta }),
      FailureType.AwsConcurrencyLimit,
      false,
    ],
    [
      'a missing task',
      new ResourceNotFoundFault({ message: 'no such task', ...meta }),
      FailureType.AwsNotFound,
      true,
    ],
    [
      'access denied',
      new AccessDeniedFault({ message: 'not allowed', ...meta }),
      FailureType.AwsAccessDenied,
      true,
    ],
  ])('classifies %s on StartReplicationTask', async (_label, error, type, nonRetryable) => {
    taskStates(task('ready'));
    dmsMock.on(StartReplicationTaskCommand).rejects(error);
    await expectFailure(harness().run(runDmsStage, input()), {
      type,
      nonRetryable,
      messageIncludes: [`StartReplicationTask failed with ${error.name}: ${error.message}`],
    });
  });

  describe('a start call that failed may have started the task (no idempotency token)', () => {
    const serverError = () =>
      new DatabaseMigrationServiceServiceException({
        name: 'InternalFailure',
        $fault: 'server',
        message: 'We encountered an internal error',
        $metadata: { httpStatusCode: 500 },
      });

    it.each([
      ['a 500 after the start took effect', serverError()],
      [
        'InvalidResourceStateFault (an SDK retry met the task it had started)',
        new InvalidResourceStateFault({ message: 'Replication task is starting', ...meta }),
      ],
    ])('%s: describes the task and attaches, without a second start', async (_label, error) => {
      dmsMock.on(StartReplicationTaskCommand).rejects(error);
      taskStates(task('ready'), task('starting', { CdcStopPosition: ours }), running, finished);
      const result = await harness().run(runDmsStage, input());
      expect(dmsMock.commandCalls(StartReplicationTaskCommand)).toHaveLength(1);
      expect(result).toMatchObject({ awsState: 'stopped', details: { startType: 'start-replication' } });
      expect(writtenCheckpoint()).toMatchObject({ stopPosition: ours });
    });

    it('a 500 that did not start the task: fails retryably, having started nothing twice', async () => {
      dmsMock.on(StartReplicationTaskCommand).rejects(serverError());
      taskStates(task('ready'));
      await expectFailure(harness().run(runDmsStage, input()), {
        type: FailureType.AwsServiceUnavailable,
        nonRetryable: false,
        messageIncludes: ['StartReplicationTask failed with InternalFailure'],
      });
      expect(dmsMock.commandCalls(StartReplicationTaskCommand)).toHaveLength(1);
      expect(dmsMock.commandCalls(DescribeReplicationTasksCommand)).toHaveLength(2);
    });
  });

  it('refuses a window end that is not a timestamp, naming the field', async () => {
    await expectFailure(harness().run(runDmsStage, input({ windowEndUtc: 'tomorrow' })), {
      type: FailureType.InvalidConfig,
      nonRetryable: true,
      messageIncludes: ['windowEndUtc'],
    });
  });
});

// ReplicationTask.Status in botocore dms 2016-01-01: creating, modifying, moving and testing are left by
// DMS itself (moto leaves a new task `creating`, which is how this surfaced); deleting is not.
describe('runDmsStage on a task DMS is still changing', () => {
  it.each(['creating', 'modifying', 'moving', 'testing'])(
    'retries while the task is %s, starting nothing',
    async (status) => {
      taskStates(task(status));
      await expectFailure(harness().run(runDmsStage, input()), {
        type: FailureType.AwsConcurrencyLimit,
        nonRetryable: false,
        messageIncludes: [`task is ${status}`, 'retries once the task is ready or stopped'],
      });
      expect(dmsMock.commandCalls(StartReplicationTaskCommand)).toHaveLength(0);
    },
  );

  it('refuses a task being deleted, saying what to fix', async () => {
    taskStates(task('deleting'));
    await expectFailure(harness().run(runDmsStage, input()), {
      type: FailureType.InvalidConfig,
      nonRetryable: true,
      messageIncludes: ['being deleted', 'dms.tasks'],
    });
  });
});

/**
 * The DMS activity against moto: DescribeReplicationTasks (by ARN filter), StartReplicationTask,
 * StopReplicationTask (stop on cancel) and the checkpoint objects in S3. moto 5.2.1 ignores
 * StartReplicationTaskType, CdcStartPosition/Time and CdcStopPosition (its own docstring says so), never
 * stops a task at a position and leaves a new task `creating`: a CDC window that ends by itself, and the
 * attach to a task on our window, are covered by the emulator and aws-sdk-client-mock, not here.
 */
import {
  CreateReplicationTaskCommand,
  DescribeReplicationTasksCommand,
  StartReplicationTaskCommand,
  StopReplicationTaskCommand,
} from '@aws-sdk/client-database-migration-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { FailureType } from '../../core/errors';
import type { DmsStageInput } from '../../core/stage-io';
import {
  cancelAtState,
  expectCancelled,
  expectFailure,
  FAST_POLL,
  harness,
  identity,
} from '../support/activity-harness';
import {
  MOTO_ACCOUNT,
  MOTO_LAKE,
  MOTO_REGION,
  type MotoServer,
  motoAvailable,
  startMoto,
  timestampMembers,
} from '../support/python/moto-server';

const arn = (kind: string, id: string) => `arn:aws:dms:${MOTO_REGION}:${MOTO_ACCOUNT}:${kind}:${id}`;

describe.runIf(motoAvailable())('DMS activity on moto', () => {
  let moto: MotoServer;
  let activities: ReturnType<typeof createActivities>;

  beforeAll(async () => {
    moto = await startMoto();
    activities = createActivities(moto.clients);
  });
  afterAll(() => moto?.stop());

  async function createTask(id: string): Promise<string> {
    const created = await moto.clients.dms.send(
      new CreateReplicationTaskCommand({
        ReplicationTaskIdentifier: id,
        SourceEndpointArn: arn('endpoint', 'SOURCE'),
        TargetEndpointArn: arn('endpoint', 'TARGET'),
        ReplicationInstanceArn: arn('rep', 'INSTANCE'),
        MigrationType: 'cdc',
        TableMappings: JSON.stringify({ rules: [] }),
      }),
    );
    return created.ReplicationTask!.ReplicationTaskArn!;
  }

  /** A task that ran before and is stopped: the state every window after the first starts from. */
  async function stoppedTask(id: string): Promise<string> {
    const taskArn = await createTask(id);
    await moto.clients.dms.send(
      new StartReplicationTaskCommand({
        ReplicationTaskArn: taskArn,
        StartReplicationTaskType: 'start-replication',
      }),
    );
    await moto.clients.dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: taskArn }));
    return taskArn;
  }

  const task = async (taskArn: string) =>
    (
      await moto.clients.dms.send(
        new DescribeReplicationTasksCommand({
          Filters: [{ Name: 'replication-task-arn', Values: [taskArn] }],
        }),
      )
    ).ReplicationTasks?.[0];

  function stage(taskArn: string, logicalDate = '2024-05-02'): DmsStageInput {
    // windowStartUtc: the window's start as newer activity inputs carry it (ignored where not yet read).
    const window = { windowStartUtc: `${logicalDate}T00:00:00.000Z` };
    return {
      kind: 'dms',
      identity: identity('shop_cdc', 0, logicalDate),
      poll: FAST_POLL,
      replicationTaskArn: taskArn,
      windowEndUtc: `${logicalDate}T22:00:00.000Z`,
      checkpointPrefix: `s3://${MOTO_LAKE}/_medallion/dms/${taskArn.slice(taskArn.lastIndexOf(':') + 1)}/`,
      tables: ['orders'],
      outputPrefix: `s3://${MOTO_LAKE}/bronze/cdc/`,
      ...window,
    };
  }

  it('fails without retry, naming the task, when the ARN matches no task', async () => {
    await expectFailure(harness().run(activities.runDmsStage, stage(arn('task', 'NOSUCHTASK'))), {
      type: FailureType.AwsNotFound,
      nonRetryable: true,
      messageIncludes: ['NOSUCHTASK', 'not found'],
    });
  });

  it('waits (retryable) on a task DMS is still creating, starting nothing (moto leaves new tasks `creating`)', async () => {
    const taskArn = await createTask('CREATING');
    await expectFailure(harness().run(activities.runDmsStage, stage(taskArn)), {
      type: FailureType.AwsConcurrencyLimit,
      nonRetryable: false,
      messageIncludes: ['CREATING', 'task is creating'],
    });
    expect((await task(taskArn))?.Status).toBe('creating');
  });

  it('starts a stopped task and stops it with StopReplicationTask when the workflow cancels', async () => {
    const taskArn = await stoppedTask('CANCELLED');
    const h = harness();
    cancelAtState(h, 'STARTED');
    await expectCancelled(h.run(activities.runDmsStage, stage(taskArn)));
    const after = await task(taskArn);
    expect(after?.Status).toBe('stopped');
    // Timestamps read as dates (moto writes strings, see moto-server.ts): the stop came after the start.
    const stats = after?.ReplicationTaskStats;
    expect(stats?.StopDate?.getTime()).toBeGreaterThanOrEqual(stats?.StartDate?.getTime() ?? Infinity);
  });

  it('starts a stopped task but refuses to wait on one that does not report this window (moto ignores CdcStopPosition)', async () => {
    const taskArn = await stoppedTask('NOPOSITION');
    const input = stage(taskArn);
    await expectFailure(harness().run(activities.runDmsStage, input), {
      type: FailureType.AwsJobFailed,
      nonRetryable: true,
      messageIncludes: ['NOPOSITION', 'commit_time:2024-05-02T22:00:00'],
    });
    // The start went through; a real task would now run to the position, moto's runs on.
    expect((await task(taskArn))?.Status).toBe('running');
    await moto.clients.dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: taskArn }));
  });

  it('moto writes DMS timestamps as ISO strings where the model says epoch seconds (repaired in moto-server.ts)', async () => {
    // botocore dms service-2.json: protocol json; ReplicationTaskStats.StartDate etc. are TStamp
    // (type timestamp, no timestampFormat), i.e. epoch seconds on the wire.
    const members = timestampMembers('dms/2016-01-01');
    for (const name of ['ReplicationTaskCreationDate', 'ReplicationTaskStartDate', 'StartDate', 'StopDate'])
      expect(members).toContain(name);
    const raw = await fetch(moto.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': 'AmazonDMSv20160101.DescribeReplicationTasks',
        Authorization:
          'AWS4-HMAC-SHA256 Credential=moto/20240101/eu-west-1/dms/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify({}),
    });
    const body = (await raw.json()) as { ReplicationTasks: { ReplicationTaskCreationDate: unknown }[] };
    expect(typeof body.ReplicationTasks[0]?.ReplicationTaskCreationDate).toBe('string');
  });
});

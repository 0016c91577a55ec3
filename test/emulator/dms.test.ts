import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DescribeReplicationTasksCommand,
  InvalidResourceStateFault,
  type ReplicationTask,
  ResourceNotFoundFault,
  StartReplicationTaskCommand,
  type StartReplicationTaskCommandInput,
  StopReplicationTaskCommand,
} from '@aws-sdk/client-database-migration-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dmsTaskArn } from '../../emulator/emulator-config';
import { LAKE, type TestEmulator, startTestEmulator, waitFor } from '../support/emulator-fixture';

const arn = (id: string) => dmsTaskArn('us-east-1', '123456789012', id);
const task = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  schema: 'shop',
  tables: ['orders', 'customers'],
  seed: 7,
  timeZone: 'Europe/Berlin',
  outputUri: `s3://${LAKE}/bronze/cdc/`,
  ...extra,
});

let t: TestEmulator;

beforeAll(async () => {
  t = await startTestEmulator({
    dms: {
      tasks: [
        task('shop-cdc'),
        task('cdc-only', { migrationType: 'cdc' }),
        task('cdc-start-time', { migrationType: 'cdc' }),
        task('cdc-before-log', { migrationType: 'cdc' }),
        task('full-only', { migrationType: 'full-load' }),
        task('open-ended'),
        task('scripted', { migrationType: 'cdc' }),
        ...Array.from({ length: 22 }, (_, i) => task(`bulk-${String(i).padStart(2, '0')}`)),
      ],
    },
  });
});
afterAll(() => t.close());

const describeTask = (id: string) =>
  t.clients.dms
    .send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-id', Values: [id] }] }))
    .then((r) => r.ReplicationTasks![0]!);
const start = (id: string, input: Partial<StartReplicationTaskCommandInput>) =>
  t.clients.dms.send(
    new StartReplicationTaskCommand({
      ReplicationTaskArn: arn(id),
      StartReplicationTaskType: 'start-replication',
      ...input,
    }),
  );
const untilStatus = (id: string, statuses: string[]) =>
  waitFor(
    () => describeTask(id),
    (task: ReplicationTask) => statuses.includes(task.Status!),
  );

describe('DMS replication tasks', () => {
  it('describes a never-started task as ready, by id or by ARN filter', async () => {
    const byId = await describeTask('shop-cdc');
    expect(byId).toMatchObject({
      ReplicationTaskIdentifier: 'shop-cdc',
      Status: 'ready',
      MigrationType: 'full-load-and-cdc',
    });
    expect(byId.ReplicationTaskArn).toMatch(/^arn:aws:dms:us-east-1:123456789012:task:[A-Z2-7]{26}$/);
    expect(JSON.parse(byId.TableMappings!)).toMatchObject({
      rules: [{ 'object-locator': { 'schema-name': 'shop', 'table-name': 'orders' } }, {}],
    });
    const byArn = await t.clients.dms.send(
      new DescribeReplicationTasksCommand({
        Filters: [{ Name: 'replication-task-arn', Values: [arn('shop-cdc')] }],
      }),
    );
    expect(byArn.ReplicationTasks?.map((r) => r.ReplicationTaskIdentifier)).toEqual(['shop-cdc']);
  });

  it('answers ResourceNotFoundFault for an unknown task', async () => {
    await expect(
      t.clients.dms.send(
        new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-id', Values: ['nope'] }] }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundFault);
    await expect(start('nope', {})).rejects.toBeInstanceOf(ResourceNotFoundFault);
  });

  it('pages with Marker', async () => {
    const first = await t.clients.dms.send(new DescribeReplicationTasksCommand({ MaxRecords: 20 }));
    expect(first.ReplicationTasks).toHaveLength(20);
    const second = await t.clients.dms.send(
      new DescribeReplicationTasksCommand({ MaxRecords: 20, Marker: first.Marker }),
    );
    expect(second.ReplicationTasks).toHaveLength(9);
    expect(second.Marker).toBeUndefined();
  });

  // StartReplicationTask, StartReplicationTaskType (botocore dms 2016-01-01): "For a full-load-and-cdc
  // task, DMS migrates table data, and then applies data changes that occur on the source": the load
  // reads the tables as they are when the task starts, and changes are captured from then on.
  it('start-replication of a full-load-and-cdc task: a full load at the source clock, then changes to the stop, with a checkpoint', async () => {
    await t.emulator.admin.setSourceClock('2024-01-01T00:00:00Z');
    try {
      const started = await start('shop-cdc', { CdcStopPosition: 'commit_time:2024-01-01T23:00:00' });
      expect(started.ReplicationTask?.Status).toBe('starting');
      await untilStatus('shop-cdc', ['running']);
      await t.emulator.admin.setSourceClock('2024-01-01T23:00:00Z');
      const stopped = await untilStatus('shop-cdc', ['stopped', 'failed']);
      expect(stopped).toMatchObject({
        Status: 'stopped',
        StopReason: 'Stop Reason STOPPED_AT_COMMIT_TIME',
        CdcStopPosition: 'commit_time:2024-01-01T23:00:00',
        ReplicationTaskStats: { FullLoadProgressPercent: 100, TablesLoaded: 2, TablesErrored: 0 },
      });
      expect(stopped.RecoveryCheckpoint).toMatch(/^checkpoint:V1#1#[0-9A-F]{8}\/[0-9A-F]{8}#0#0#\*#0#2$/);
      expect(stopped.ReplicationTaskStats?.FullLoadFinishDate).toBeInstanceOf(Date);
      const window = t.sources.dmsWindows.at(-1)!;
      expect(window).toMatchObject({
        schema: 'shop',
        tables: ['orders', 'customers'],
        fullLoad: true,
        partitionTimeZone: 'Europe/Berlin',
        seed: 7,
      });
      expect(window.fromUtc.toISOString()).toBe('2024-01-01T00:00:00.000Z');
      expect(window.toUtc.toISOString()).toBe('2024-01-01T23:00:00.000Z');
      const files = await readdir(join(t.dataDir, 'lake', LAKE, 'bronze/cdc/shop/orders/2024/01/01'));
      expect(files).toContain('LOAD00000001.parquet');
    } finally {
      await t.emulator.admin.setSourceClock(null);
    }
  });

  // "Otherwise use resume-processing, to replicate the changes from the last stop position."
  it('resume-processing continues from the last stop and refuses a start position', async () => {
    const { RecoveryCheckpoint } = await describeTask('shop-cdc');
    const resume = (input: Partial<StartReplicationTaskCommandInput>) =>
      t.clients.dms.send(
        new StartReplicationTaskCommand({
          ReplicationTaskArn: arn('shop-cdc'),
          StartReplicationTaskType: 'resume-processing',
          ...input,
        }),
      );
    await expect(
      resume({ CdcStartPosition: RecoveryCheckpoint, CdcStopPosition: 'server_time:2024-01-02T23:00:00' }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombinationException',
      message: expect.stringContaining('use start-replication'),
    });
    await expect(
      resume({
        CdcStartTime: new Date('2024-01-01T23:00:00Z'),
        CdcStopPosition: 'commit_time:2024-01-02T23:00:00',
      }),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombinationException' });
    await resume({ CdcStopPosition: 'server_time:2024-01-02T23:00:00' });
    const stopped = await untilStatus('shop-cdc', ['stopped', 'failed']);
    expect(stopped.StopReason).toBe('Stop Reason STOPPED_AT_SERVER_TIME');
    expect(stopped.RecoveryCheckpoint).toMatch(/^checkpoint:V1#2#/);
    expect(stopped.RecoveryCheckpoint).not.toBe(RecoveryCheckpoint);
    const window = t.sources.dmsWindows.at(-1)!;
    expect([window.fromUtc.toISOString(), window.toUtc.toISOString(), window.fullLoad]).toEqual([
      '2024-01-01T23:00:00.000Z',
      '2024-01-02T23:00:00.000Z',
      false,
    ]);
  });

  // CdcStartPosition: "when you want a change data capture (CDC) operation to start". The task has
  // loaded its tables on its first run: restarted at a position it captures from there, loading nothing.
  it('start-replication at a CDC start position on a full-load-and-cdc task that ran: changes only, from there', async () => {
    const { RecoveryCheckpoint } = await describeTask('shop-cdc');
    await start('shop-cdc', {
      CdcStartPosition: RecoveryCheckpoint,
      CdcStopPosition: 'commit_time:2024-01-03T23:00:00',
    });
    expect(await untilStatus('shop-cdc', ['stopped', 'failed'])).toMatchObject({ Status: 'stopped' });
    expect(t.sources.dmsWindows.at(-1)).toMatchObject({
      fromUtc: new Date('2024-01-02T23:00:00Z'),
      toUtc: new Date('2024-01-03T23:00:00Z'),
      fullLoad: false,
    });
  });

  // The first run of a full-load-and-cdc task started at a CDC position: the load is as of that position,
  // so load and captured changes meet there (the simulated source serves a past instant).
  it('start-replication of a full-load-and-cdc task that never ran, at a CdcStartTime: a full load as of it, then changes', async () => {
    await start('bulk-21', {
      CdcStartTime: new Date('2024-01-01T23:00:00Z'),
      CdcStopPosition: 'commit_time:2024-01-02T23:00:00',
    });
    expect(await untilStatus('bulk-21', ['stopped', 'failed'])).toMatchObject({
      Status: 'stopped',
      ReplicationTaskStats: { FullLoadProgressPercent: 100, TablesLoaded: 2 },
    });
    expect(t.sources.dmsWindows.at(-1)).toMatchObject({
      fromUtc: new Date('2024-01-01T23:00:00Z'),
      toUtc: new Date('2024-01-02T23:00:00Z'),
      fullLoad: true,
    });
  });

  it('a full-load task takes no CDC start position: InvalidParameterCombinationException', async () => {
    await expect(
      start('full-only', {
        CdcStartTime: new Date('2024-01-01T23:00:00Z'),
        CdcStopPosition: 'commit_time:2024-01-02T23:00:00',
      }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombinationException',
      message: expect.stringContaining('a full-load task has none'),
    });
  });

  // "To load all the tables again, and start capturing source changes, use reload-target."
  it('reload-target loads the tables again at the source clock and captures from there', async () => {
    await t.emulator.admin.setSourceClock('2024-01-04T06:00:00Z');
    try {
      await t.clients.dms.send(
        new StartReplicationTaskCommand({
          ReplicationTaskArn: arn('shop-cdc'),
          StartReplicationTaskType: 'reload-target',
          CdcStopPosition: 'commit_time:2024-01-04T06:00:00',
        }),
      );
      const stopped = await untilStatus('shop-cdc', ['stopped', 'failed']);
      expect(stopped.Status).toBe('stopped');
      const window = t.sources.dmsWindows.at(-1)!;
      expect([window.fromUtc.toISOString(), window.fullLoad]).toEqual(['2024-01-04T06:00:00.000Z', true]);
    } finally {
      await t.emulator.admin.setSourceClock(null);
    }
  });

  // "For a cdc only task, to start from a specific position, you must use start-replication and also
  // specify the start position." Without one it captures from now: no invented initial time.
  it('a cdc task: start-replication from CdcStartTime, or from the source clock without a position; no reload-target', async () => {
    await start('cdc-start-time', {
      CdcStartTime: new Date('2024-01-01T22:00:00Z'),
      CdcStopPosition: 'commit_time:2024-01-02T22:00:00',
    });
    expect(await untilStatus('cdc-start-time', ['stopped', 'failed'])).toMatchObject({
      Status: 'stopped',
      CdcStartPosition: '2024-01-01T22:00:00',
    });
    expect(t.sources.dmsWindows.at(-1)).toMatchObject({
      fromUtc: new Date('2024-01-01T22:00:00Z'),
      toUtc: new Date('2024-01-02T22:00:00Z'),
      fullLoad: false,
    });
    // Without a position: now. A stop position of the past is then before the start.
    await expect(
      start('cdc-start-time', { CdcStopPosition: 'commit_time:2024-01-03T22:00:00' }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringContaining('a start without CdcStartPosition or CdcStartTime captures from now'),
    });
    await t.emulator.admin.setSourceClock('2024-01-05T10:00:00Z');
    try {
      await start('cdc-start-time', { CdcStopPosition: 'commit_time:2024-01-05T10:00:00' });
      await untilStatus('cdc-start-time', ['stopped', 'failed']);
      expect(t.sources.dmsWindows.at(-1)).toMatchObject({
        fromUtc: new Date('2024-01-05T10:00:00Z'),
        fullLoad: false,
      });
    } finally {
      await t.emulator.admin.setSourceClock(null);
    }
    await expect(
      t.clients.dms.send(
        new StartReplicationTaskCommand({
          ReplicationTaskArn: arn('cdc-start-time'),
          StartReplicationTaskType: 'reload-target',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombinationException' });
  });

  it('fails the task at once when the start position is older than the source change log, naming the dates that exist', async () => {
    t.sources.changeLogStartUtc = new Date('2024-01-01T00:00:00Z');
    try {
      await start('cdc-before-log', {
        CdcStartTime: new Date('2023-06-01T00:00:00Z'),
        CdcStopPosition: 'commit_time:2023-06-02T00:00:00',
      });
      const failed = await untilStatus('cdc-before-log', ['failed', 'stopped']);
      expect(failed).toMatchObject({ Status: 'failed', StopReason: 'Stop Reason FATAL_ERROR' });
      expect(failed.LastFailureMessage).toContain('begins at 2024-01-01T00:00:00 UTC');
      expect(failed.LastFailureMessage).toContain('start position 2023-06-01T00:00:00');
      // Berlin's 2024-01-01 starts at 2023-12-31T23:00Z, before the log: the first whole date is the 2nd.
      expect(failed.LastFailureMessage).toContain('dates from 2024-01-02 (Europe/Berlin) on');
      expect(failed.RecoveryCheckpoint).toBeUndefined();
    } finally {
      delete t.sources.changeLogStartUtc;
    }
  });

  it('refuses to start a running task and to resume a task that never ran (InvalidResourceStateFault)', async () => {
    await start('cdc-only', {
      CdcStartPosition: '2024-01-01T00:00:00',
      CdcStopPosition: 'commit_time:2024-01-01T06:00:00',
    });
    await expect(start('cdc-only', {})).rejects.toBeInstanceOf(InvalidResourceStateFault);
    const stopped = await untilStatus('cdc-only', ['stopped']);
    expect(stopped.ReplicationTaskStats?.FullLoadStartDate).toBeUndefined();
    expect(t.sources.dmsWindows.at(-1)).toMatchObject({ fullLoad: false });
    await expect(
      t.clients.dms.send(
        new StartReplicationTaskCommand({
          ReplicationTaskArn: arn('bulk-00'),
          StartReplicationTaskType: 'resume-processing',
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidResourceStateFault);
  });

  it('rejects malformed positions with InvalidParameterValueException', async () => {
    await expect(start('bulk-01', { CdcStopPosition: 'commit_time:yesterday' })).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
    });
    await expect(start('bulk-01', { CdcStartPosition: 'mysql-bin.000024:373' })).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
    });
    await expect(
      start('bulk-01', { CdcStopPosition: 'commit_time:2023-12-31T00:00:00' }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
    });
    expect((await describeTask('bulk-01')).Status).toBe('ready');
  });

  it('stops a task without stop position on StopReplicationTask, at the source clock (Stop Reason NORMAL)', async () => {
    await t.emulator.admin.setSourceClock('2024-01-01T12:00:00Z');
    try {
      await start('open-ended', {});
      await untilStatus('open-ended', ['running']);
      const stopping = await t.clients.dms.send(
        new StopReplicationTaskCommand({ ReplicationTaskArn: arn('open-ended') }),
      );
      expect(stopping.ReplicationTask?.Status).toBe('stopping');
      const stopped = await untilStatus('open-ended', ['stopped']);
      expect(stopped.StopReason).toBe('Stop Reason NORMAL');
      expect(t.sources.dmsWindows.at(-1)!.toUtc.toISOString()).toBe('2024-01-01T12:00:00.000Z');
      await expect(
        t.clients.dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: arn('open-ended') })),
      ).rejects.toBeInstanceOf(InvalidResourceStateFault);
    } finally {
      await t.emulator.admin.setSourceClock(null);
    }
  });

  it('waits for the source to reach a stop position in the future', async () => {
    await t.emulator.admin.setSourceClock('2024-01-01T05:00:00Z');
    try {
      await start('bulk-02', { CdcStopPosition: 'commit_time:2024-01-01T10:00:00' });
      await untilStatus('bulk-02', ['running']);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect((await describeTask('bulk-02')).Status).toBe('running');
      await t.emulator.admin.setSourceClock('2024-01-01T10:00:00Z');
      expect((await untilStatus('bulk-02', ['stopped'])).StopReason).toBe(
        'Stop Reason STOPPED_AT_COMMIT_TIME',
      );
    } finally {
      await t.emulator.admin.setSourceClock(null);
    }
  });

  it('stops after the full load for a full-load task', async () => {
    await start('full-only', {});
    const stopped = await untilStatus('full-only', ['stopped']);
    expect(stopped.StopReason).toBe('Stop Reason FULL_LOAD_ONLY_FINISHED');
    expect(t.sources.dmsWindows.at(-1)).toMatchObject({ fullLoad: true });
  });

  it('fails as scripted, and when the source fails, with LastFailureMessage and no new checkpoint', async () => {
    await t.emulator.admin.failNextRuns({
      service: 'dms',
      name: 'scripted',
      message: 'Last Error ODBC connection lost',
    });
    await start('scripted', {
      CdcStartTime: new Date('2024-01-01T00:00:00Z'),
      CdcStopPosition: 'commit_time:2024-01-01T02:00:00',
    });
    const failed = await untilStatus('scripted', ['failed', 'stopped']);
    expect(failed).toMatchObject({
      Status: 'failed',
      LastFailureMessage: 'Last Error ODBC connection lost',
      StopReason: 'Stop Reason FATAL_ERROR',
    });
    expect(failed.RecoveryCheckpoint).toBeUndefined();

    t.sources.failNextWindow = 'source database unreachable';
    await t.emulator.admin.setSourceClock('2024-01-01T02:00:00Z');
    try {
      await start('bulk-03', { CdcStopPosition: 'commit_time:2024-01-01T02:00:00' });
      expect(await untilStatus('bulk-03', ['failed', 'stopped'])).toMatchObject({
        Status: 'failed',
        LastFailureMessage: 'source database unreachable',
      });
    } finally {
      await t.emulator.admin.setSourceClock(null);
    }
  });
});

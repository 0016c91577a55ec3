/**
 * The DMS stage against the emulator (strict start types, lost responses), with the worker's own
 * clients (workers/aws-clients.ts: StartReplicationTask gets one attempt, no SDK retry).
 *
 * StartReplicationTask (botocore dms 2016-01-01) has no idempotency token, and its documentation ties
 * the start types to positions: "For a cdc only task, to start from a specific position, you must use
 * start-replication and also specify the start position"; resume-processing replicates "the changes
 * from the last stop position". A start without a position captures from now.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDmsActivities } from '../../activities/dms';
import { createS3Activities } from '../../activities/s3';
import type { Environment } from '../../core/environment';
import type { DmsStageInput } from '../../core/stage-io';
import { dayWindowUtc } from '../../core/dates';
import { buildAwsClients } from '../../workers/aws-clients';
import { LAKE, type TestEmulator, startTestEmulator } from '../support/emulator-fixture';
import { FAST_POLL, harness, identity } from '../support/activity-harness';

const TASK = 'shop-cdc-strict';
const ZONE = 'Europe/Berlin';
let t: TestEmulator;
let runDmsStage: ReturnType<typeof createDmsActivities>['runDmsStage'];
let taskArn: string;

beforeAll(async () => {
  t = await startTestEmulator({
    s3: { buckets: [LAKE] },
    dms: {
      tasks: [
        {
          id: TASK,
          migrationType: 'cdc',
          schema: 'shop',
          tables: ['orders'],
          seed: 7,
          timeZone: ZONE,
          outputUri: `s3://${LAKE}/bronze/cdc/`,
        },
      ],
    },
  });
  taskArn = t.emulator.config.dms.tasks[0]!.arn;
  const aws = buildAwsClients(
    { name: 'test', region: 'us-east-1', endpoint: t.emulator.endpoint, lakeBucket: LAKE } as Environment,
    {},
  );
  ({ runDmsStage } = createDmsActivities({ dms: aws.dms, s3: createS3Activities(aws.s3) }));
});
afterAll(() => t.close());

function input(logicalDate: string, generation = 0): DmsStageInput {
  const window = dayWindowUtc(logicalDate, ZONE);
  return {
    kind: 'dms',
    identity: identity('ingest_oltp', generation, logicalDate),
    poll: FAST_POLL,
    replicationTaskArn: taskArn,
    windowStartUtc: window.startUtc.toISOString(),
    windowEndUtc: window.endUtc.toISOString(),
    checkpointPrefix: `s3://${LAKE}/_medallion/dms/${TASK}/`,
    tables: ['orders'],
    outputPrefix: `s3://${LAKE}/bronze/cdc/`,
  };
}

const dmsStarts = () => t.emulator.admin.startCalls({ service: 'dms', operation: 'StartReplicationTask' });
const lastWindow = () => {
  const window = t.sources.dmsWindows.at(-1)!;
  return [window.fromUtc.toISOString(), window.toUtc.toISOString()];
};

describe('runDmsStage on the strict emulator', () => {
  it("first window: starts at the day's start although the start call's answer is lost (500 after effect)", async () => {
    await t.emulator.admin.failNextCalls({ operation: 'dms:StartReplicationTask', phase: 'after-effect' });
    const result = await harness().run(runDmsStage, input('2024-03-01'));
    expect(dmsStarts().map((c) => c.outcome)).toEqual(['started']);
    expect(result).toMatchObject({ awsState: 'stopped', details: { startType: 'start-replication' } });
    expect(lastWindow()).toEqual(['2024-02-29T23:00:00.000Z', '2024-03-01T23:00:00.000Z']);
  });

  it('next date: resume-processing from the last stop, also when the connection drops after the start', async () => {
    await t.emulator.admin.failNextCalls({
      operation: 'dms:StartReplicationTask',
      phase: 'after-effect',
      response: 'drop',
    });
    const result = await harness().run(runDmsStage, input('2024-03-02'));
    expect(dmsStarts().map((c) => c.outcome)).toEqual(['started', 'started']);
    expect(result.details).toMatchObject({
      startType: 'resume-processing',
      previousCheckpointDate: '2024-03-01',
    });
    expect(lastWindow()).toEqual(['2024-03-01T23:00:00.000Z', '2024-03-02T23:00:00.000Z']);
  });

  it('re-extracting a window re-extracts it, and the next date still starts where its previous date ended', async () => {
    // A deliberate rerun of 2024-03-01's CDC stage (generation 1): that day's window again, from its start.
    const again = await harness().run(runDmsStage, input('2024-03-01', 1));
    expect(again.details).toMatchObject({ startType: 'start-replication' });
    expect(lastWindow()).toEqual(['2024-02-29T23:00:00.000Z', '2024-03-01T23:00:00.000Z']);
    // The task now stands at 2024-03-01's end; 2024-03-03 must start at 2024-03-02's checkpoint.
    const next = await harness().run(runDmsStage, input('2024-03-03'));
    expect(next.details).toMatchObject({
      startType: 'start-replication',
      previousCheckpointDate: '2024-03-02',
    });
    expect(lastWindow()).toEqual(['2024-03-02T23:00:00.000Z', '2024-03-03T23:00:00.000Z']);
    // The same generation again is done: its checkpoint is there, nothing starts.
    const starts = dmsStarts().length;
    await harness().run(runDmsStage, input('2024-03-01', 1));
    expect(dmsStarts()).toHaveLength(starts);
  });
});

/**
 * The Redshift Data statement life cycle against moto: ExecuteStatement, DescribeStatement,
 * CancelStatement (stop on cancel), resume from a heartbeat, and the errors of an unknown or malformed
 * statement id. moto 5.2.1 keeps every statement STARTED (no state manager), returns one canned result
 * and has no BatchExecuteStatement or ListStatements (HTTP 500): the batch stage, its attach by
 * statement name and FINISHED results are covered by the emulator and aws-sdk-client-mock.
 */
import { DescribeStatementCommand, ExecuteStatementCommand } from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import type { RedshiftQueryInput } from '../../activities/redshift-data';
import { FailureType } from '../../core/errors';
import type { StageHeartbeat } from '../../core/stage-io';
import {
  expectCancelled,
  expectFailure,
  FAST_POLL,
  harness,
  previousAttempt,
} from '../support/activity-harness';
import { type MotoServer, motoAvailable, startMoto, timestampMembers } from '../support/python/moto-server';

describe.runIf(motoAvailable())('Redshift Data statements on moto', () => {
  let moto: MotoServer;
  let activities: ReturnType<typeof createActivities>;

  beforeAll(async () => {
    moto = await startMoto();
    activities = createActivities(moto.clients);
  });
  afterAll(() => moto?.stop());

  const query = (sql: string): RedshiftQueryInput => ({
    target: { database: 'analytics', workgroupName: 'medallion' },
    sql,
    poll: FAST_POLL,
  });
  const describeStatement = (id: string) =>
    moto.clients.redshiftData.send(new DescribeStatementCommand({ Id: id }));
  const beat = (id: string): StageHeartbeat => ({
    awsRunId: id,
    awsState: 'STARTED',
    startedAt: new Date().toISOString(),
    polls: 1,
  });

  it('executes the SQL, polls the statement and cancels it with CancelStatement when the workflow cancels', async () => {
    const h = harness();
    // Cancel once the statement has been described as running at least twice.
    let polled = 0;
    h.env.on('heartbeat', (b: StageHeartbeat) => {
      if (b.polls >= 2 && ++polled === 1) h.env.cancel();
    });
    await expectCancelled(h.run(activities.queryRedshift, query('select count(*) from dim_customer')));
    const id = h.heartbeats[0]!.awsRunId;
    const statement = await describeStatement(id);
    expect(statement).toMatchObject({
      Status: 'ABORTED',
      Database: 'analytics',
      QueryString: 'select count(*) from dim_customer',
    });
    expect(statement.CreatedAt).toBeInstanceOf(Date);
  });

  it('after a worker restart resumes the statement in its heartbeat (and cancels that one)', async () => {
    const earlier = await moto.clients.redshiftData.send(
      new ExecuteStatementCommand({ Database: 'analytics', WorkgroupName: 'medallion', Sql: 'select 1' }),
    );
    const h = harness(previousAttempt(beat(earlier.Id!)));
    h.env.on('heartbeat', (b: StageHeartbeat) => {
      if (b.polls >= 3) h.env.cancel();
    });
    await expectCancelled(h.run(activities.queryRedshift, query('select 2')));
    expect(h.heartbeats.every((b) => b.awsRunId === earlier.Id)).toBe(true);
    expect((await describeStatement(earlier.Id!)).Status).toBe('ABORTED');
  });

  it('a resumed statement that was cancelled fails the activity without retry', async () => {
    const h = harness();
    h.env.on('heartbeat', () => h.env.cancel());
    await expectCancelled(h.run(activities.queryRedshift, query('select 3')));
    const cancelled = h.heartbeats[0]!.awsRunId;
    await expectFailure(
      harness(previousAttempt(beat(cancelled))).run(activities.queryRedshift, query('select 3')),
      {
        type: FailureType.AwsJobFailed,
        nonRetryable: true,
        messageIncludes: [cancelled, 'ABORTED', 'the statement was cancelled'],
      },
    );
  });

  it('a heartbeat naming a statement Redshift does not know fails as not found', async () => {
    await expectFailure(
      harness(previousAttempt(beat('0b5e3c1a-1111-4222-8333-944455556666'))).run(
        activities.queryRedshift,
        query('select 4'),
      ),
      { type: FailureType.AwsNotFound, nonRetryable: true, messageIncludes: ['DescribeStatement'] },
    );
  });

  it('a malformed statement id is a validation error, not retried', async () => {
    await expectFailure(
      harness(previousAttempt(beat('not-a-statement-id'))).run(activities.queryRedshift, query('select 5')),
      {
        type: FailureType.AwsInvalidRequest,
        nonRetryable: true,
        messageIncludes: ['DescribeStatement'],
      },
    );
  });

  it('moto writes timestamps as ISO strings where the model says epoch seconds (repaired in moto-server.ts)', async () => {
    // botocore redshift-data service-2.json: protocol json, CreatedAt/UpdatedAt are shape Timestamp
    // without timestampFormat, i.e. epoch seconds on the wire.
    expect(timestampMembers('redshift-data/2019-12-20')).toEqual(new Set(['CreatedAt', 'UpdatedAt']));
    const { Id } = await moto.clients.redshiftData.send(
      new ExecuteStatementCommand({ Database: 'analytics', WorkgroupName: 'medallion', Sql: 'select 6' }),
    );
    const raw = await fetch(moto.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': 'RedshiftData.DescribeStatement',
        Authorization:
          'AWS4-HMAC-SHA256 Credential=moto/20240101/eu-west-1/redshift-data/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify({ Id }),
    });
    const body = (await raw.json()) as { CreatedAt: unknown };
    expect(typeof body.CreatedAt).toBe('string');
  });
});

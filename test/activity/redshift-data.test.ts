import {
  ActiveStatementsExceededException,
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  type DescribeStatementResponse,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
  RedshiftDataClient,
  RedshiftDataServiceException,
  type StatusString,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FailureType } from '../../core/errors';
import type { RedshiftStageInput } from '../../core/stage-io';
import { createRedshiftDataActivities } from '../../activities/redshift-data';
import {
  cancelAtState,
  clientConfig,
  expectCancelled,
  expectFailure,
  FAST_POLL,
  harness,
  identity,
  previousAttempt,
  workerShutdown,
} from '../support/activity-harness';

const redshiftData = new RedshiftDataClient(clientConfig);
const rsMock = mockClient(redshiftData);
const { runRedshiftStage, queryRedshift } = createRedshiftDataActivities({ redshiftData });

const stage = identity('load_fact_orders');
const target = {
  database: 'dev',
  workgroupName: 'shop',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:rs',
};
const input = (overrides: Partial<RedshiftStageInput> = {}): RedshiftStageInput => ({
  kind: 'redshift',
  identity: stage,
  poll: FAST_POLL,
  target,
  sqls: ['BEGIN_STAGING', 'DELETE FROM fact_orders WHERE dt = 1', 'INSERT INTO fact_orders SELECT 1'],
  ...overrides,
});
const meta = { $metadata: {} };
const consoleUrl =
  'https://eu-west-1.console.aws.amazon.com/redshiftv2/home?region=eu-west-1#/serverless-query-and-database-monitoring';

function statement(
  Status: StatusString,
  extra: Partial<DescribeStatementResponse> = {},
): DescribeStatementResponse {
  return {
    Id: 'stmt-1',
    Status,
    SubStatements: [
      { Id: 'stmt-1:1', ResultRows: -1 },
      { Id: 'stmt-1:2', ResultRows: 7 },
      { Id: 'stmt-1:3', ResultRows: 30 },
    ],
    ...extra,
  };
}

function statuses(...list: StatusString[]) {
  const behavior = rsMock.on(DescribeStatementCommand);
  for (const status of list.slice(0, -1)) behavior.resolvesOnce(statement(status));
  behavior.resolves(statement(list.at(-1)!, { Error: 'ERROR: relation "fact_orders" does not exist' }));
}

beforeEach(() => {
  rsMock.reset();
  rsMock.on(ListStatementsCommand).resolves({ Statements: [] });
  rsMock.on(BatchExecuteStatementCommand).resolves({ Id: 'stmt-1' });
});

describe('runRedshiftStage', () => {
  it('runs the SQL as one batch with ClientToken and StatementName = run key, polling to FINISHED', async () => {
    statuses('SUBMITTED', 'PICKED', 'STARTED', 'FINISHED');
    const h = harness();
    const result = await h.run(runRedshiftStage, input());
    expect(rsMock.commandCalls(ListStatementsCommand)[0]!.args[0].input).toMatchObject({
      StatementName: stage.runKey,
      Status: 'ALL',
      WorkgroupName: 'shop',
      Database: 'dev',
    });
    expect(rsMock.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input).toEqual({
      Database: 'dev',
      WorkgroupName: 'shop',
      SecretArn: target.secretArn,
      Sqls: input().sqls,
      ClientToken: stage.runKey,
      StatementName: stage.runKey,
    });
    expect(result).toMatchObject({
      awsRunId: 'stmt-1',
      awsState: 'FINISHED',
      attached: false,
      rowsOut: 37,
      consoleUrl,
      details: { statusCalls: 4, statements: 3, rowsPerStatement: '-1,7,30', rowsAffected: 37 },
    });
    expect(h.heartbeats[0]).toMatchObject({ awsRunId: 'stmt-1', awsState: 'STARTED' });
  });

  it('uses ClusterIdentifier and DbUser for a provisioned cluster', async () => {
    statuses('FINISHED');
    await harness().run(
      runRedshiftStage,
      input({ target: { database: 'dev', clusterIdentifier: 'shop-dw', dbUser: 'etl' } }),
    );
    expect(rsMock.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input).toMatchObject({
      ClusterIdentifier: 'shop-dw',
      DbUser: 'etl',
    });
  });

  it('attaches to the newest statement with exactly its name (ListStatements matches prefixes)', async () => {
    rsMock
      .on(ListStatementsCommand)
      .resolvesOnce({
        Statements: [
          {
            Id: 'stmt-longer',
            StatementName: `${stage.runKey}-x`,
            Status: 'FINISHED',
            CreatedAt: new Date('2024-05-03T03:00:00Z'),
          },
          {
            Id: 'stmt-old',
            StatementName: stage.runKey,
            Status: 'FAILED',
            CreatedAt: new Date('2024-05-03T01:00:00Z'),
          },
        ],
        NextToken: 'n',
      })
      .resolves({
        Statements: [
          {
            Id: 'stmt-new',
            StatementName: stage.runKey,
            Status: 'STARTED',
            CreatedAt: new Date('2024-05-03T02:00:00Z'),
          },
        ],
      });
    rsMock.on(DescribeStatementCommand).resolves(statement('FINISHED', { Id: 'stmt-new' }));
    const result = await harness().run(runRedshiftStage, input());
    expect(rsMock.commandCalls(BatchExecuteStatementCommand)).toHaveLength(0);
    expect(rsMock.commandCalls(DescribeStatementCommand)[0]!.args[0].input).toEqual({ Id: 'stmt-new' });
    expect(result).toMatchObject({
      awsRunId: 'stmt-new',
      attached: true,
      startedAt: '2024-05-03T02:00:00.000Z',
    });
  });

  it('resumes from heartbeat details without listing or executing', async () => {
    statuses('STARTED', 'FINISHED');
    const h = harness(
      previousAttempt({
        awsRunId: 'stmt-1',
        awsState: 'STARTED',
        startedAt: '2024-05-03T02:00:00.000Z',
        polls: 4,
      }),
    );
    const result = await h.run(runRedshiftStage, input());
    expect(rsMock.commandCalls(ListStatementsCommand)).toHaveLength(0);
    expect(rsMock.commandCalls(BatchExecuteStatementCommand)).toHaveLength(0);
    expect(result.details).toMatchObject({ statusCalls: 6 });
  });

  it.each<StatusString>(['FAILED', 'ABORTED'])(
    'fails without retry when the batch ends %s, quoting the error',
    async (status) => {
      statuses('STARTED', status);
      await expectFailure(harness().run(runRedshiftStage, input()), {
        type: FailureType.AwsJobFailed,
        nonRetryable: true,
        messageIncludes: [
          `Redshift Data load_fact_orders run stmt-1 ended ${status}: ERROR: relation "fact_orders" does not exist (${consoleUrl})`,
        ],
      });
    },
  );

  it('names the failing statement of the batch when only a sub-statement has the error', async () => {
    rsMock.on(DescribeStatementCommand).resolves({
      Id: 'stmt-1',
      Status: 'FAILED',
      SubStatements: [{ Id: 'stmt-1:1' }, { Id: 'stmt-1:2', Error: 'ERROR: duplicate key' }],
    });
    await expectFailure(harness().run(runRedshiftStage, input()), {
      type: FailureType.AwsJobFailed,
      nonRetryable: true,
      messageIncludes: ['ended FAILED: ERROR: duplicate key (statement 2 of the batch)'],
    });
  });

  it('cancels the statement when the workflow cancels and waits for ABORTED', async () => {
    let cancelRequested = false;
    rsMock.on(CancelStatementCommand).callsFake(() => {
      cancelRequested = true;
      return Promise.resolve({ Status: true });
    });
    rsMock
      .on(DescribeStatementCommand)
      .callsFake(() => Promise.resolve(statement(cancelRequested ? 'ABORTED' : 'STARTED')));
    const h = harness();
    cancelAtState(h, 'STARTED');
    await expectCancelled(h.run(runRedshiftStage, input()));
    expect(rsMock.commandCalls(CancelStatementCommand)[0]!.args[0].input).toEqual({ Id: 'stmt-1' });
    expect(rsMock.commandCalls(DescribeStatementCommand).length).toBeGreaterThanOrEqual(2);
  });

  it('leaves the statement running on worker shutdown', async () => {
    statuses('STARTED');
    const h = harness();
    cancelAtState(h, 'STARTED', workerShutdown());
    await expectCancelled(h.run(runRedshiftStage, input()));
    expect(rsMock.commandCalls(CancelStatementCommand)).toHaveLength(0);
  });

  it.each([
    [
      'throttling',
      new RedshiftDataServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        ...meta,
      }),
      FailureType.AwsThrottled,
      false,
    ],
    [
      'too many active statements',
      new ActiveStatementsExceededException({ message: 'limit 500', ...meta }),
      FailureType.AwsConcurrencyLimit,
      false,
    ],
    [
      'validation',
      new ValidationException({ message: 'bad workgroup', ...meta }),
      FailureType.AwsInvalidRequest,
      true,
    ],
  ])('classifies %s on BatchExecuteStatement', async (_label, error, type, nonRetryable) => {
    rsMock.on(BatchExecuteStatementCommand).rejects(error);
    await expectFailure(harness().run(runRedshiftStage, input()), {
      type,
      nonRetryable,
      messageIncludes: [`BatchExecuteStatement failed with ${error.name}: ${error.message}`],
    });
  });

  it('refuses a target naming both a workgroup and a cluster', async () => {
    await expectFailure(
      harness().run(
        runRedshiftStage,
        input({ target: { database: 'dev', workgroupName: 'a', clusterIdentifier: 'b' } }),
      ),
      {
        type: FailureType.InvalidConfig,
        nonRetryable: true,
        messageIncludes: ['target.workgroupName', 'exactly one'],
      },
    );
  });
});

describe('queryRedshift', () => {
  it('returns the rows of a small read, across result pages, typed by field', async () => {
    rsMock.on(ExecuteStatementCommand).resolves({ Id: 'q-1' });
    rsMock
      .on(DescribeStatementCommand)
      .resolvesOnce({ Id: 'q-1', Status: 'STARTED' })
      .resolves({ Id: 'q-1', Status: 'FINISHED', HasResultSet: true, ResultRows: 3 });
    const columns = [{ name: 'dt' }, { name: 'orders' }, { name: 'ratio' }, { name: 'ok' }];
    rsMock
      .on(GetStatementResultCommand)
      .resolvesOnce({
        ColumnMetadata: columns,
        Records: [
          [{ stringValue: '2024-05-02' }, { longValue: 12 }, { doubleValue: 0.5 }, { booleanValue: true }],
        ],
        NextToken: 'next',
      })
      .resolves({
        ColumnMetadata: columns,
        Records: [
          [{ stringValue: '2024-05-03' }, { longValue: 0 }, { isNull: true }, { booleanValue: false }],
          [{ stringValue: '2024-05-04' }, { isNull: true }, { doubleValue: 1 }, { isNull: true }],
        ],
      });
    const rows = await harness().run(queryRedshift, {
      target,
      sql: 'select dt, count(*) ...',
      poll: FAST_POLL,
    });
    expect(rsMock.commandCalls(ExecuteStatementCommand)[0]!.args[0].input).toMatchObject({
      Sql: 'select dt, count(*) ...',
      WorkgroupName: 'shop',
      Database: 'dev',
    });
    expect(rows).toEqual([
      { dt: '2024-05-02', orders: 12, ratio: 0.5, ok: true },
      { dt: '2024-05-03', orders: 0, ratio: null, ok: false },
      { dt: '2024-05-04', orders: null, ratio: 1, ok: null },
    ]);
  });

  it('fails a query whose statement failed, quoting the error', async () => {
    rsMock.on(ExecuteStatementCommand).resolves({ Id: 'q-2' });
    rsMock
      .on(DescribeStatementCommand)
      .resolves({ Id: 'q-2', Status: 'FAILED', Error: 'ERROR: syntax error at or near "form"' });
    await expectFailure(harness().run(queryRedshift, { target, sql: 'select * form x', poll: FAST_POLL }), {
      type: FailureType.AwsJobFailed,
      nonRetryable: true,
      messageIncludes: ['Redshift Data query run q-2 ended FAILED: ERROR: syntax error at or near "form"'],
    });
  });
});

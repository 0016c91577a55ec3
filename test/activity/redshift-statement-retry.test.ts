/**
 * Redshift statements that fail transiently are run again as NEW statements.
 *
 * AWS: "ERROR: 1023 DETAIL: Serializable isolation violation" means the transaction was aborted to keep
 * the execution serializable; the advice is to retry the transaction
 * (https://docs.aws.amazon.com/redshift/latest/dg/c_serial_isolation.html). A Data API ClientToken
 * "ensures idempotency": the same token answers with the statement it already ran (botocore
 * redshift-data service-2.json, BatchExecuteStatementInput.ClientToken, max 64 characters), so a retry
 * with the FAILED statement's token or name would only find the failure again.
 * DescribeStatement answers ResourceNotFoundException for a statement older than 24 hours
 * ("the query results are stored for 24 hours",
 * https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html).
 */
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  type DescribeStatementResponse,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
  RedshiftDataClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FailureType } from '../../core/errors';
import { stageRunKey } from '../../core/run-key';
import type { RedshiftStageInput } from '../../core/stage-io';
import { createRedshiftDataActivities } from '../../activities/redshift-data';
import {
  attemptOfStatementName,
  isTransientStatementError,
  statementAttemptKey,
  statementNamePrefix,
  statementRetryDelayMs,
} from '../../activities/redshift-statement-attempts';
import {
  clientConfig,
  expectFailure,
  FAST_POLL,
  harness,
  identity,
  previousAttempt,
} from '../support/activity-harness';

const redshiftData = new RedshiftDataClient(clientConfig);
const rsMock = mockClient(redshiftData);
const { runRedshiftStage } = createRedshiftDataActivities(
  { redshiftData },
  { statementRetry: { maxTransientFailures: 3, initialDelayMs: 1, maxDelayMs: 2 } },
);

const stage = identity('load_fact_orders');
const target = { database: 'dev', workgroupName: 'shop' };
const LEDGER_LOOKUP = `SELECT "rows" FROM "analytics"."medallion_load_ledger" WHERE ...`;
const input = (overrides: Partial<RedshiftStageInput> = {}): RedshiftStageInput => ({
  kind: 'redshift',
  identity: stage,
  poll: FAST_POLL,
  target,
  sqls: ['DELETE FROM fact_orders WHERE dt = 1', 'INSERT INTO medallion_load_ledger SELECT 1'],
  ledgerLookup: LEDGER_LOOKUP,
  ...overrides,
});
/** The wording Redshift uses (and the chaos tier scripts as a run failure). */
const CONFLICT =
  'ERROR: 1023 DETAIL: Serializable isolation violation on table - 102497, transactions forming the cycle are: 1021, 1022 (pid:1073751234)';

function described(id: string, Status: 'FAILED' | 'FINISHED', error?: string): DescribeStatementResponse {
  return {
    Id: id,
    Status,
    ...(error ? { Error: error } : {}),
    SubStatements: [
      { Id: `${id}:1`, ResultRows: 3 },
      { Id: `${id}:2`, ResultRows: 1 },
    ],
  };
}

/** A Data API double: each BatchExecuteStatement makes a statement ending with the next of `outcomes` (an error text, or FINISHED). */
function statementsEndingWith(...outcomes: string[]) {
  const made: { id: string; name: string; token: string; status: 'FAILED' | 'FINISHED'; error?: string }[] =
    [];
  rsMock
    .on(BatchExecuteStatementCommand)
    .callsFake((request: { ClientToken: string; StatementName: string }) => {
      const earlier = made.find((s) => s.token === request.ClientToken);
      if (earlier) return Promise.resolve({ Id: earlier.id });
      const outcome = outcomes[made.length] ?? 'FINISHED';
      const id = `stmt-${made.length + 1}`;
      made.push({
        id,
        name: request.StatementName,
        token: request.ClientToken,
        ...(outcome === 'FINISHED' ? { status: 'FINISHED' } : { status: 'FAILED', error: outcome }),
      });
      return Promise.resolve({ Id: id });
    });
  rsMock.on(DescribeStatementCommand).callsFake((request: { Id: string }) => {
    const statement = made.find((s) => s.id === request.Id)!;
    return Promise.resolve(described(statement.id, statement.status, statement.error));
  });
  rsMock.on(ListStatementsCommand).callsFake(() =>
    Promise.resolve({
      Statements: made.map((s, i) => ({
        Id: s.id,
        StatementName: s.name,
        Status: s.status,
        CreatedAt: new Date(Date.UTC(2024, 4, 3, 1, i)),
      })),
    }),
  );
  return made;
}

beforeEach(() => {
  rsMock.reset();
});

describe('statement attempt names and tokens', () => {
  it('are the run key, then <run key>.r<n>: distinct, within the 64-character ClientToken limit, found again', () => {
    const keys = [
      stage.runKey,
      stageRunKey('shop/2024-05-02', 'a'.repeat(60), 12345),
      stageRunKey('shop/2024-05-02', 'x', 0),
    ];
    for (const runKey of keys) {
      const names = Array.from({ length: 99 }, (_, i) => statementAttemptKey(runKey, i + 1));
      expect(new Set(names).size).toBe(99);
      for (const [i, name] of names.entries()) {
        expect(name.length).toBeLessThanOrEqual(64);
        expect(name.startsWith(statementNamePrefix(runKey))).toBe(true);
        expect(attemptOfStatementName(runKey, name)).toBe(i + 1);
      }
      expect(attemptOfStatementName(runKey, `${runKey}-x`)).toBeUndefined();
    }
    expect(statementAttemptKey(stage.runKey, 2)).toBe(`${stage.runKey}.r2`);
  });

  it('treats serialization conflicts and deadlocks as transient, other errors not', () => {
    expect(isTransientStatementError(CONFLICT)).toBe(true);
    expect(isTransientStatementError('ERROR: 1023 scripted by chaos: Serializable isolation violation')).toBe(
      true,
    );
    expect(isTransientStatementError('ERROR: deadlock detected')).toBe(true);
    expect(isTransientStatementError('ERROR: relation "fact_orders" does not exist')).toBe(false);
    expect(
      isTransientStatementError("ERROR: Load into table 'x' failed. Check 'sys_load_error_detail'"),
    ).toBe(false);
  });

  it('backs off exponentially with jitter, capped', () => {
    const settings = { maxTransientFailures: 9, initialDelayMs: 1_000, maxDelayMs: 30_000 };
    expect(statementRetryDelayMs(settings, 1, () => 0)).toBe(500);
    expect(statementRetryDelayMs(settings, 1, () => 1)).toBe(1_000);
    expect(statementRetryDelayMs(settings, 3, () => 1)).toBe(4_000);
    expect(statementRetryDelayMs(settings, 9, () => 1)).toBe(30_000);
  });
});

describe('runRedshiftStage retries transient statement failures as new statements', () => {
  it('runs a NEW statement (next name and ClientToken) after ERROR: 1023, never reattaching to the FAILED one', async () => {
    const made = statementsEndingWith(CONFLICT, 'FINISHED');
    const result = await harness().run(runRedshiftStage, input());
    const batches = rsMock.commandCalls(BatchExecuteStatementCommand).map((c) => c.args[0].input);
    expect(batches.map((b) => [b.StatementName, b.ClientToken])).toEqual([
      [stage.runKey, stage.runKey],
      [`${stage.runKey}.r2`, `${stage.runKey}.r2`],
    ]);
    expect(batches[1]!.Sqls).toEqual(input().sqls);
    expect(made.map((s) => s.status)).toEqual(['FAILED', 'FINISHED']);
    expect(result).toMatchObject({ awsRunId: 'stmt-2', awsState: 'FINISHED', attached: false });
    expect(result.details).toMatchObject({ transientFailures: 1 });
  });

  it('retries a conflict reported on a sub-statement of the batch', async () => {
    rsMock.on(ListStatementsCommand).resolves({ Statements: [] });
    rsMock.on(BatchExecuteStatementCommand).resolvesOnce({ Id: 'stmt-1' }).resolves({ Id: 'stmt-2' });
    rsMock.on(DescribeStatementCommand, { Id: 'stmt-1' }).resolves({
      Id: 'stmt-1',
      Status: 'FAILED',
      SubStatements: [{ Id: 'stmt-1:1' }, { Id: 'stmt-1:2', Error: CONFLICT }],
    });
    rsMock.on(DescribeStatementCommand, { Id: 'stmt-2' }).resolves(described('stmt-2', 'FINISHED'));
    const result = await harness().run(runRedshiftStage, input());
    expect(result.awsRunId).toBe('stmt-2');
  });

  it('does not retry a statement that failed for good', async () => {
    statementsEndingWith('ERROR: relation "fact_orders" does not exist');
    await expectFailure(harness().run(runRedshiftStage, input()), {
      type: FailureType.AwsJobFailed,
      nonRetryable: true,
      messageIncludes: ['ended FAILED: ERROR: relation "fact_orders" does not exist'],
    });
    expect(rsMock.commandCalls(BatchExecuteStatementCommand)).toHaveLength(1);
  });

  it('is bounded: after maxTransientFailures it fails retryably, for the stage retry policy', async () => {
    statementsEndingWith(CONFLICT, CONFLICT, CONFLICT, 'FINISHED');
    await expectFailure(harness().run(runRedshiftStage, input()), {
      type: FailureType.AwsConcurrencyLimit,
      nonRetryable: false,
      messageIncludes: ['3 statements in a row failed transiently', 'stmt-3'],
    });
    expect(rsMock.commandCalls(BatchExecuteStatementCommand)).toHaveLength(3);
  });

  it('a later activity attempt resuming a FAILED statement starts the attempt after the newest', async () => {
    statementsEndingWith(CONFLICT, CONFLICT, 'FINISHED');
    // The first activity attempt gives up after two conflicts (its own bound), retryably.
    const first = createRedshiftDataActivities(
      { redshiftData },
      { statementRetry: { maxTransientFailures: 2, initialDelayMs: 1, maxDelayMs: 2 } },
    );
    await expectFailure(harness().run(first.runRedshiftStage, input()), {
      type: FailureType.AwsConcurrencyLimit,
      nonRetryable: false,
    });
    const h = harness(
      previousAttempt({
        awsRunId: 'stmt-2',
        awsState: 'FAILED',
        startedAt: '2024-05-03T01:00:00.000Z',
        polls: 1,
      }),
    );
    const result = await h.run(runRedshiftStage, input());
    expect(rsMock.commandCalls(BatchExecuteStatementCommand).map((c) => c.args[0].input.ClientToken)).toEqual(
      [stage.runKey, `${stage.runKey}.r2`, `${stage.runKey}.r3`],
    );
    expect(result.awsRunId).toBe('stmt-3');
  });
});

describe('runRedshiftStage decides from the ledger when its statement expired', () => {
  function expiredStatement() {
    rsMock.on(DescribeStatementCommand, { Id: 'stmt-old' }).rejects(
      new ResourceNotFoundException({
        message: 'Query does not exist.',
        Message: 'Query does not exist.',
        ResourceId: 'stmt-old',
        $metadata: {},
      }),
    );
    rsMock.on(ExecuteStatementCommand).resolves({ Id: 'ledger-q' });
    rsMock
      .on(DescribeStatementCommand, { Id: 'ledger-q' })
      .resolves({ Id: 'ledger-q', Status: 'FINISHED', HasResultSet: true, ResultRows: 1 });
  }
  const resumed = () =>
    harness(
      previousAttempt({
        awsRunId: 'stmt-old',
        awsState: 'STARTED',
        startedAt: '2024-05-03T01:00:00.000Z',
        polls: 9,
      }),
    );

  it('reports the load done when the ledger records the batch, running nothing again', async () => {
    expiredStatement();
    rsMock
      .on(GetStatementResultCommand)
      .resolves({ ColumnMetadata: [{ name: 'rows' }], Records: [[{ longValue: 42 }]] });
    const h = resumed();
    const result = await h.run(runRedshiftStage, input());
    expect(rsMock.commandCalls(ExecuteStatementCommand)[0]!.args[0].input.Sql).toBe(LEDGER_LOOKUP);
    expect(rsMock.commandCalls(BatchExecuteStatementCommand)).toHaveLength(0);
    expect(result).toMatchObject({ awsRunId: 'stmt-old', awsState: 'FINISHED', attached: true, rowsOut: 42 });
    // While asking the ledger, the heartbeat still names the stage's statement, not the lookup.
    expect(h.heartbeats.every((beat) => beat.awsRunId === 'stmt-old')).toBe(true);
  });

  it('runs the load as a new statement when the ledger has no row for the batch', async () => {
    expiredStatement();
    rsMock.on(GetStatementResultCommand).resolves({ ColumnMetadata: [{ name: 'rows' }], Records: [] });
    rsMock.on(ListStatementsCommand).resolves({ Statements: [] });
    rsMock.on(BatchExecuteStatementCommand).resolves({ Id: 'stmt-new' });
    rsMock.on(DescribeStatementCommand, { Id: 'stmt-new' }).resolves(described('stmt-new', 'FINISHED'));
    const result = await resumed().run(runRedshiftStage, input());
    expect(rsMock.commandCalls(BatchExecuteStatementCommand)).toHaveLength(1);
    expect(result).toMatchObject({ awsRunId: 'stmt-new', attached: false });
  });

  it('without a ledgerLookup fails clearly instead of guessing', async () => {
    expiredStatement();
    await expectFailure(resumed().run(runRedshiftStage, input({ ledgerLookup: undefined })), {
      type: FailureType.AwsJobFailed,
      nonRetryable: true,
      messageIncludes: ['no longer knows the statement', 'ledgerLookup'],
    });
  });
});

/**
 * Recording check outcomes survives Redshift's serialization conflicts, as a new transaction.
 *
 * Runs of several dates record their outcomes at once, each transaction deleting and inserting rows of
 * medallion_check_results: Redshift aborts one with "ERROR: 1023 DETAIL: Serializable isolation
 * violation" and the advice is to retry the transaction
 * (https://docs.aws.amazon.com/redshift/latest/dg/c_serial_isolation.html). A Data API ClientToken
 * "ensures idempotency": a reused token answers with the statement it already ran (botocore
 * redshift-data service-2.json, BatchExecuteStatementInput.ClientToken, 1-64 characters), so retrying
 * with the failed statement's token only finds the failure again. A 120-day backfill on the local
 * stack lost the warehouse record of 71 dates that way, each after 75 s of activity retries.
 */
import {
  BatchExecuteStatementCommand,
  type BatchExecuteStatementInput,
  DescribeStatementCommand,
  type DescribeStatementResponse,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createCheckResultActivities } from '../../activities/check-results';
import type { RecordCheckOutcomesRequest } from '../../core/activity-contracts';
import { FailureType } from '../../core/errors';
import { clientConfig, expectFailure, harness } from '../support/activity-harness';

const redshiftData = new RedshiftDataClient(clientConfig);
const rsMock = mockClient(redshiftData);
const { recordCheckOutcomes } = createCheckResultActivities(
  { redshiftData },
  { statementRetry: { maxTransientFailures: 3, initialDelayMs: 1, maxDelayMs: 2 }, pollMs: 1 },
);

const CONFLICT =
  'ERROR: 1023 DETAIL: Serializable isolation violation on table - analytics.medallion_check_results, transactions forming the cycle are: 1385, 1383';

const request: RecordCheckOutcomesRequest = {
  recording: {
    target: { database: 'dev', workgroupName: 'shop' },
    dialect: 'redshift',
    copyRoleArn: 'arn:aws:iam::123456789012:role/medallion-redshift-copy',
    schema: 'analytics',
  },
  pipeline: 'shop',
  logicalDate: '2025-02-28',
  stageIds: ['fact_orders'],
  outcomes: [
    {
      check: 'orders_vs_7_day_median',
      stageId: 'fact_orders',
      severity: 'block',
      passed: true,
      measured: 31,
      bound: '>= 15',
      message: 'orders_vs_7_day_median: 31 rows, bound >= 15',
    },
  ],
};

type Ending = 'FINISHED' | { failed: string };

/**
 * The Data API as the model says: one statement per ClientToken (a reused token returns it), each
 * ending as `endings` say in submission order; `seenEnded` statements are already over when first
 * described (an earlier activity attempt's).
 */
function dataApi(endings: Ending[], seenEnded: Set<number> = new Set()) {
  const tokens: string[] = [];
  const idOf = new Map<string, string>();
  const described = new Map<string, number>();
  rsMock.on(BatchExecuteStatementCommand).callsFake((input: BatchExecuteStatementInput) => {
    const token = input.ClientToken!;
    let id = idOf.get(token);
    if (id === undefined) {
      id = `st-${idOf.size + 1}`;
      idOf.set(token, id);
    }
    tokens.push(token);
    return { Id: id };
  });
  rsMock.on(DescribeStatementCommand).callsFake(({ Id }: { Id: string }): DescribeStatementResponse => {
    const index = Number(Id.slice(3)) - 1;
    const times = (described.get(Id) ?? 0) + 1;
    described.set(Id, times);
    if (times === 1 && !seenEnded.has(index)) return { Id, Status: 'STARTED' };
    const ending = endings[index] ?? 'FINISHED';
    return ending === 'FINISHED'
      ? { Id, Status: 'FINISHED' }
      : { Id, Status: 'FAILED', Error: ending.failed };
  });
  return { tokens };
}

beforeEach(() => rsMock.reset());

describe('recordCheckOutcomes', () => {
  it('runs a NEW transaction after a serialization conflict, under a new ClientToken', async () => {
    const api = dataApi([{ failed: CONFLICT }, { failed: CONFLICT }, 'FINISHED']);
    await harness().run(recordCheckOutcomes, request);
    expect(api.tokens).toHaveLength(3);
    expect(new Set(api.tokens).size).toBe(3);
    expect(api.tokens.every((token) => token.length <= 64)).toBe(true);
    expect(api.tokens[1]).toBe(`${api.tokens[0]}.r2`);
  });

  it('a retried activity attempt passes the failed statements of the earlier one and runs the next', async () => {
    const api = dataApi(
      [{ failed: CONFLICT }, { failed: CONFLICT }, { failed: CONFLICT }, 'FINISHED'],
      new Set([0, 1, 2]),
    );
    // The earlier attempt used up its 3 transient failures; this one may see 3 more.
    await harness({ attempt: 2 }).run(recordCheckOutcomes, request);
    expect(api.tokens).toHaveLength(4);
    expect(new Set(api.tokens).size).toBe(4);
  });

  it('attaches to a statement an earlier attempt left running or finished: nothing is recorded twice', async () => {
    const api = dataApi(['FINISHED'], new Set([0]));
    await harness({ attempt: 3 }).run(recordCheckOutcomes, request);
    expect(api.tokens).toHaveLength(1);
  });

  it('after maxTransientFailures conflicts in one attempt, fails retryably, naming the statement and the conflict', async () => {
    dataApi(Array.from({ length: 10 }, () => ({ failed: CONFLICT })));
    await expectFailure(harness().run(recordCheckOutcomes, request), {
      type: FailureType.AwsConcurrencyLimit,
      nonRetryable: false,
      messageIncludes: ['statement st-3 FAILED', 'Serializable isolation violation'],
    });
    expect(rsMock.commandCalls(BatchExecuteStatementCommand)).toHaveLength(3);
  });

  it('a failure a new transaction cannot clear is not run again', async () => {
    dataApi([{ failed: 'ERROR: relation "analytics.medallion_check_results" does not exist' }]);
    await expect(harness().run(recordCheckOutcomes, request)).rejects.toThrow(
      /statement st-1 FAILED: ERROR: relation "analytics.medallion_check_results" does not exist/,
    );
    expect(rsMock.commandCalls(BatchExecuteStatementCommand)).toHaveLength(1);
  });
});

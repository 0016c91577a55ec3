/**
 * Records a run's check outcomes in the warehouse (`<schema>.medallion_check_results`, one row per
 * pipeline, date, stage and check), replacing the date's earlier rows of the stages evaluated again.
 * One BatchExecuteStatement: one transaction, so a reader never sees a stage half-recorded.
 *
 * Runs of several dates record at once, and each transaction deletes and inserts rows of the same
 * table: the pattern Redshift aborts with "1023 Serializable isolation violation", to be retried as a
 * new transaction (https://docs.aws.amazon.com/redshift/latest/dg/c_serial_isolation.html). Statement
 * n carries ClientToken `<digest of the SQL>.r<n>`: a reused token answers with the statement it
 * already ran, so a retried activity attempt walks the earlier statements (attaching to a running or
 * finished one, passing failed ones without a wait) and submits a new one only after a transient
 * failure. Each activity attempt may see `maxTransientFailures` more of them.
 */
import { createHash } from 'node:crypto';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { Context } from '@temporalio/activity';
import type { RecordCheckOutcomesRequest } from '../core/activity-contracts';
import { recordCheckOutcomesSql } from '../core/sql/check-results';
import { warehouseDialect } from '../core/sql/warehouse-dialect';
import { awsCall } from './aws-call';
import { targetParameters } from './redshift-data';
import {
  DEFAULT_STATEMENT_RETRY,
  isTransientStatementError,
  MAX_STATEMENT_ATTEMPT,
  statementAttemptKey,
  statementRetryDelayMs,
  type StatementRetrySettings,
  transientFailuresExhausted,
} from './redshift-statement-attempts';

const POLL_MS = 500;
/** Leaves room in the 64-character ClientToken for the attempt suffix `.r<n>`. */
const TOKEN_DIGEST_CHARS = 60;

export function createCheckResultActivities(
  clients: { redshiftData: RedshiftDataClient },
  options: { statementRetry?: StatementRetrySettings; pollMs?: number } = {},
) {
  const { redshiftData } = clients;
  const statementRetry = options.statementRetry ?? DEFAULT_STATEMENT_RETRY;
  const pollMs = options.pollMs ?? POLL_MS;

  async function recordCheckOutcomes(request: RecordCheckOutcomesRequest): Promise<void> {
    const { recording, pipeline, logicalDate, stageIds, outcomes } = request;
    const dialect = warehouseDialect(recording);
    const sqls = recordCheckOutcomesSql(dialect, recording.schema, pipeline, logicalDate, stageIds, outcomes);
    const subject = { service: 'Redshift Data' as const, job: `check results ${pipeline}/${logicalDate}` };
    const digest = createHash('sha256')
      .update(JSON.stringify(sqls))
      .digest('hex')
      .slice(0, TOKEN_DIGEST_CHARS);
    const context = Context.current();
    const budget = statementRetry.maxTransientFailures * context.info.attempt;
    let transientFailures = 0;
    for (let attempt = 1; attempt <= MAX_STATEMENT_ATTEMPT; attempt += 1) {
      const { Id } = await awsCall(subject, 'BatchExecuteStatement', (callOptions) =>
        redshiftData.send(
          new BatchExecuteStatementCommand({
            ...targetParameters(recording.target),
            Sqls: sqls,
            ClientToken: statementAttemptKey(digest, attempt),
          }),
          callOptions,
        ),
      );
      if (!Id) throw new Error('Redshift Data BatchExecuteStatement returned no statement Id');
      const ended = await statementEnd(context, Id, subject);
      if (ended.status === 'FINISHED') return;
      const failure = `recording check outcomes: statement ${Id} ${ended.status}: ${ended.error}`;
      if (!isTransientStatementError(ended.error)) throw new Error(failure);
      transientFailures += 1;
      if (transientFailures >= budget) {
        throw transientFailuresExhausted(subject.job, transientFailures, { runId: Id, message: ended.error });
      }
      if (ended.endedBeforeWatched) continue; // an earlier activity attempt's statement: waited for then
      const delayMs = statementRetryDelayMs(statementRetry, transientFailures);
      context.log.warn(`${failure}; a new statement follows in ${delayMs} ms`);
      context.heartbeat(Id);
      await context.sleep(delayMs);
    }
    throw new Error(
      `recording check outcomes of ${pipeline}/${logicalDate}: ${MAX_STATEMENT_ATTEMPT} statements failed; none is left to try`,
    );
  }

  async function statementEnd(
    context: Context,
    Id: string,
    subject: { service: 'Redshift Data'; job: string },
  ): Promise<{ status: 'FINISHED' | 'FAILED' | 'ABORTED'; error: string; endedBeforeWatched: boolean }> {
    for (let polls = 0; ; polls += 1) {
      const status = await awsCall(subject, 'DescribeStatement', (callOptions) =>
        redshiftData.send(new DescribeStatementCommand({ Id }), callOptions),
      );
      if (status.Status === 'FINISHED' || status.Status === 'FAILED' || status.Status === 'ABORTED') {
        return {
          status: status.Status,
          error: status.Error ?? 'no message',
          endedBeforeWatched: polls === 0,
        };
      }
      context.heartbeat(Id);
      await context.sleep(pollMs);
    }
  }

  return { recordCheckOutcomes };
}

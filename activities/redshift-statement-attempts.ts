/**
 * A Redshift stage may need several statements: a transaction aborted by a serialization conflict is
 * to be run again, and "again" must be a NEW statement. Reattaching to the FAILED one (same
 * StatementName) or reusing its ClientToken (the Data API answers a reused token with the statement
 * it already ran) would only find the failure again. Each attempt n gets its own name and token,
 * derived from the stage's run key, so a later activity attempt can list them all and pick the newest.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { AwsFailureDetails } from '../core/errors';
import { FailureType } from '../core/errors';

/** Data API limits (botocore redshift-data service-2.json): ClientToken 1-64 chars, StatementName 1-500. */
const CLIENT_TOKEN_MAX = 64;
/** Attempts are numbered 1..99, so a suffix `.r<n>` takes at most 4 characters. */
export const MAX_STATEMENT_ATTEMPT = 99;
const BASE_MAX = CLIENT_TOKEN_MAX - 4;
/** The run key's tail "-<16 hex digest>" (core/run-key.ts) is kept whole when the base must be shorter. */
const DIGEST_TAIL = 17;

function attemptBase(runKey: string): string {
  return runKey.length <= BASE_MAX
    ? runKey
    : `${runKey.slice(0, BASE_MAX - DIGEST_TAIL)}${runKey.slice(-DIGEST_TAIL)}`;
}

/** StatementName and ClientToken of attempt `n` (1-based): the run key itself, then `<run key>.r<n>`. */
export function statementAttemptKey(runKey: string, attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > MAX_STATEMENT_ATTEMPT)
    throw new Error(`statement attempt must be 1..${MAX_STATEMENT_ATTEMPT}, got ${attempt}`);
  return attempt === 1 ? runKey : `${attemptBase(runKey)}.r${attempt}`;
}

/** The prefix ListStatements filters by (it matches name prefixes): every attempt's name starts with it. */
export function statementNamePrefix(runKey: string): string {
  const base = attemptBase(runKey);
  let common = 0;
  while (common < base.length && base[common] === runKey[common]) common += 1;
  return runKey.slice(0, common);
}

/** The attempt a listed statement name belongs to, or undefined when it is another stage's. */
export function attemptOfStatementName(runKey: string, name: string | undefined): number | undefined {
  if (name === undefined) return undefined;
  if (name === runKey) return 1;
  const match = /\.r(\d{1,2})$/.exec(name);
  if (!match) return undefined;
  const attempt = Number(match[1]);
  return attempt >= 2 && statementAttemptKey(runKey, attempt) === name ? attempt : undefined;
}

/**
 * Statement errors that a new transaction can clear. Each is the engine telling the client to retry:
 * - `ERROR: 1023 ... Serializable isolation violation`: "retry the transaction" (AWS, Serializable
 *   isolation: https://docs.aws.amazon.com/redshift/latest/dg/c_serial_isolation.html). Every load
 *   and merge reads and writes medallion_load_ledger, the pattern that page names.
 * - `deadlock detected`: concurrent write transactions that lock tables in different orders; Redshift
 *   aborts one (https://docs.aws.amazon.com/redshift/latest/dg/c_write_readwrite.html).
 * - `could not serialize access due to concurrent update|delete`: PostgreSQL's wording of the same
 *   serialization failure (SQLSTATE 40001), which Redshift-compatible engines also use.
 * Everything else (syntax, missing relation, load errors, permissions) fails the same way twice.
 */
const TRANSIENT_STATEMENT_ERRORS: readonly RegExp[] = [
  /\b1023\b[\s\S]*serializable isolation violation/i,
  /serializable isolation violation/i,
  /\bdeadlock detected\b/i,
  /could not serialize access due to concurrent (update|delete)/i,
];

export function isTransientStatementError(message: string): boolean {
  return TRANSIENT_STATEMENT_ERRORS.some((pattern) => pattern.test(message));
}

/** The failed statement's id and AWS message when `error` is a transient statement failure. */
export function transientStatementFailure(error: unknown): { runId: string; message: string } | undefined {
  if (!(error instanceof ApplicationFailure) || error.type !== FailureType.AwsJobFailed) return undefined;
  const details = error.details?.[0] as Partial<AwsFailureDetails> | undefined;
  if (details?.awsState !== 'FAILED' || !details.awsRunId || !details.message) return undefined;
  return isTransientStatementError(details.message)
    ? { runId: details.awsRunId, message: details.message }
    : undefined;
}

/**
 * The retryable failure of an activity attempt that saw `failures` transient statement failures in a row:
 * the activity's retry policy tries again later, with the last statement's id and message named.
 */
export function transientFailuresExhausted(
  job: string,
  failures: number,
  last: { runId: string; message: string },
): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.AwsConcurrencyLimit,
    nonRetryable: false,
    message:
      `Redshift Data ${job}: ${failures} statements in a row failed transiently ` +
      `(last: statement ${last.runId} FAILED: ${last.message}); the activity's retry policy tries again later`,
    details: [{ service: 'Redshift Data', awsRunId: last.runId, message: last.message }],
  });
}

/** Backoff before the next statement: exponential with full jitter, so parallel losers spread out. */
export interface StatementRetrySettings {
  /** Statements that may fail transiently in ONE activity attempt before it gives up (retryable). */
  maxTransientFailures: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_STATEMENT_RETRY: StatementRetrySettings = {
  maxTransientFailures: 6,
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
};

export function statementRetryDelayMs(
  settings: StatementRetrySettings,
  failuresSoFar: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(
    settings.maxDelayMs,
    settings.initialDelayMs * 2 ** Math.max(0, failuresSoFar - 1),
  );
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

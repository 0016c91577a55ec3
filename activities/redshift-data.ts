/**
 * Redshift Data API activities.
 * - runRedshiftStage: the stage's SQL as ONE transaction (BatchExecuteStatement) with ClientToken and
 *   StatementName derived from the run key; a retried attempt attaches via ListStatements(StatementName)
 *   first. A statement that fails transiently (a serialization conflict) is followed, after a jittered
 *   backoff, by a NEW statement with the next attempt's name and token; the load ledger in the SQL
 *   keeps that exactly-once. A statement the Data API has forgotten (24 h) is decided by the ledger.
 * - queryRedshift: a small read (counts, checksums) returning its rows.
 */
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  type DescribeStatementResponse,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type Field,
  paginateGetStatementResult,
  paginateListStatements,
  type RedshiftDataClient,
  type StatusString,
} from '@aws-sdk/client-redshift-data';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from '@temporalio/activity';
import type { CheckOutcome } from '../core/check-outcome';
import { FailureType } from '../core/errors';
import type {
  PollSettings,
  RedshiftStageInput,
  RedshiftTarget,
  StageHeartbeat,
  StageResult,
  WarehouseCheckPlan,
} from '../core/stage-io';
import { activityContext, awsCall, clientRegion } from './aws-call';
import { awsErrorCodeOf, detectedFailure, type FailureSubject } from './aws-errors';
import { consoleLinks, linkIn } from './console-links';
import { createCopyManifests } from './copy-manifest';
import { type RunPhase, type RunSpec, runToTerminal } from './poll-run';
import {
  attemptOfStatementName,
  DEFAULT_STATEMENT_RETRY,
  MAX_STATEMENT_ATTEMPT,
  type StatementRetrySettings,
  statementAttemptKey,
  statementNamePrefix,
  statementRetryDelayMs,
  transientFailuresExhausted,
  transientStatementFailure,
} from './redshift-statement-attempts';
import {
  identitySchema,
  parseStageInput,
  pollSchema,
  redshiftTargetSchema,
  s3PrefixSchema,
  s3UriSchema,
  text,
  z,
} from './stage-input';
import { stageResult } from './stage-result';
import { judgeWarehouseChecks, warehouseCheckPlanSchema } from './quality-gate';

const REDSHIFT_STATEMENT_PHASES: Readonly<Record<Exclude<StatusString, 'ALL'>, RunPhase>> = {
  SUBMITTED: 'running',
  PICKED: 'running',
  STARTED: 'running',
  FINISHED: 'succeeded',
  FAILED: 'failed',
  ABORTED: 'failed',
};

const REDSHIFT_STOP_WAIT_MS = 5 * 60_000;
/** Polling of small reads: they usually finish in a second or two. */
const QUERY_POLL: PollSettings = {
  initialIntervalMs: 250,
  maxIntervalMs: 5_000,
  backoffCoefficient: 1.5,
};
/** queryRedshift is for small results; bigger ones belong in S3 (UNLOAD). */
const QUERY_MAX_ROWS = 10_000;
const MAX_BATCH_STATEMENTS = 40;

export type RedshiftValue = string | number | boolean | null;
export type RedshiftRow = Record<string, RedshiftValue>;

export interface RedshiftQueryInput {
  target: RedshiftTarget;
  /** One SELECT; its whole result is returned, so keep it small (<= QUERY_MAX_ROWS rows). */
  sql: string;
  poll?: PollSettings;
}

const redshiftInputSchema = z.object({
  kind: z.literal('redshift'),
  identity: identitySchema,
  poll: pollSchema,
  target: redshiftTargetSchema,
  sqls: z.array(text).min(1).max(MAX_BATCH_STATEMENTS, 'BatchExecuteStatement takes at most 40 statements'),
  ledgerLookup: text.optional(),
  copies: z
    .array(
      z.object({
        sourceUri: s3PrefixSchema,
        manifestUri: s3UriSchema,
        columns: z.array(z.object({ name: text, type: text })).min(1),
      }),
    )
    .optional(),
  members: z
    .array(z.object({ logicalDate: text, generation: z.number().int().nonnegative() }))
    .min(1)
    .optional(),
  checks: warehouseCheckPlanSchema.optional(),
}) satisfies z.ZodType<RedshiftStageInput>;

const queryInputSchema = z.object({
  target: redshiftTargetSchema,
  sql: text,
  poll: pollSchema.optional(),
}) satisfies z.ZodType<RedshiftQueryInput>;

/** What failures name: the stage, and the dates of a catch-up merge. */
function stageLabel(input: RedshiftStageInput): string {
  const dates = input.members?.map((member) => member.logicalDate);
  if (!dates || dates.length === 0) return input.identity.stageId;
  return `${input.identity.stageId} (catch-up merge of ${dates.length} dates: ${dates.join(', ')})`;
}

export function targetParameters(target: RedshiftTarget) {
  return {
    Database: target.database,
    ...(target.workgroupName
      ? { WorkgroupName: target.workgroupName }
      : { ClusterIdentifier: target.clusterIdentifier }),
    ...(target.secretArn ? { SecretArn: target.secretArn } : {}),
    ...(target.dbUser ? { DbUser: target.dbUser } : {}),
  };
}

function statementFailureMessage(statement: DescribeStatementResponse): string {
  const failedSub = statement.SubStatements?.find((s) => s.Error);
  const error = statement.Error ?? failedSub?.Error;
  if (!error)
    return statement.Status === 'ABORTED' ? 'the statement was cancelled' : 'Redshift reported no error';
  const which = failedSub?.Id
    ? ` (statement ${failedSub.Id.slice(failedSub.Id.lastIndexOf(':') + 1)} of the batch)`
    : '';
  return `${error}${which}`;
}

export function fieldValue(field: Field): RedshiftValue {
  if (field.isNull) return null;
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.longValue !== undefined) return field.longValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.blobValue !== undefined) return Buffer.from(field.blobValue).toString('base64');
  return null;
}

interface ListedAttempt {
  id: string;
  attempt: number;
  status: string | undefined;
  createdAt: Date | undefined;
}

/** The statement a resumed attempt was polling is gone from the Data API (kept 24 hours). */
class StatementExpired extends Error {
  constructor(readonly statementId: string) {
    super(`Redshift Data statement ${statementId} no longer exists (the Data API keeps statements 24 hours)`);
  }
}

/** Waits between statements, heartbeating so the wait is neither a heartbeat timeout nor uncancellable. */
async function sleepHeartbeating(context: Context, ms: number, details: StageHeartbeat): Promise<void> {
  const timeout = context.info.heartbeatTimeoutMs;
  const chunk = timeout ? Math.max(1, Math.floor(timeout / 3)) : ms;
  for (let remaining = ms; remaining > 0; remaining -= chunk) {
    context.heartbeat(details);
    await context.sleep(Math.min(chunk, remaining));
  }
  context.heartbeat(details);
}

export interface RedshiftDataActivityOptions {
  /** Retries of statements that failed transiently (serialization conflicts); tests shorten them. */
  statementRetry?: StatementRetrySettings;
}

export function createRedshiftDataActivities(
  /** `s3` writes the COPY manifests of loads (stages whose input has `copy`). */
  clients: { redshiftData: RedshiftDataClient; s3?: S3Client },
  options: RedshiftDataActivityOptions = {},
) {
  const { redshiftData } = clients;
  const copyManifests = clients.s3 ? createCopyManifests(clients.s3) : undefined;
  const statementRetry = options.statementRetry ?? DEFAULT_STATEMENT_RETRY;
  const regionPromise = clientRegion(redshiftData);

  /** The poll/describe/cancel half shared by the batch stage and the query. */
  function statementSpec(
    job: string,
    target: RedshiftTarget,
    region: string | undefined,
  ): Pick<
    RunSpec<DescribeStatementResponse>,
    | 'service'
    | 'job'
    | 'consoleUrl'
    | 'describe'
    | 'stateOf'
    | 'phaseOf'
    | 'failureMessage'
    | 'stop'
    | 'stopWaitMs'
  > & {
    subject(runId?: string): FailureSubject;
  } {
    const consoleUrl = linkIn(region, consoleLinks.redshiftQueries, target);
    const subject = (runId?: string): FailureSubject => ({
      service: 'Redshift Data',
      job,
      ...(runId ? { runId } : {}),
      ...(consoleUrl ? { consoleUrl } : {}),
    });
    return {
      service: 'Redshift Data',
      job,
      subject,
      stopWaitMs: REDSHIFT_STOP_WAIT_MS,
      consoleUrl: () => consoleUrl,
      describe: (id) =>
        awsCall(subject(id), 'DescribeStatement', (options) =>
          redshiftData.send(new DescribeStatementCommand({ Id: id }), options),
        ),
      stateOf: (statement) => statement.Status ?? 'UNKNOWN',
      phaseOf: (statement) =>
        (statement.Status && statement.Status !== 'ALL'
          ? REDSHIFT_STATEMENT_PHASES[statement.Status]
          : undefined) ?? 'running',
      failureMessage: statementFailureMessage,
      stop: async (id) => {
        await awsCall(subject(id), 'CancelStatement', (options) =>
          redshiftData.send(new CancelStatementCommand({ Id: id }), options),
        );
      },
    };
  }

  async function runRedshiftStage(rawInput: RedshiftStageInput): Promise<StageResult> {
    const input = parseStageInput(redshiftInputSchema, rawInput, 'runRedshiftStage');
    const { identity, target } = input;
    const spec = statementSpec(stageLabel(input), target, await regionPromise);
    const context = activityContext();
    if (!context) throw new Error('runRedshiftStage must run inside a Temporal activity');

    /** Every statement this stage's run key started (all attempts), newest first. */
    const listAttempts = () =>
      awsCall(spec.subject(), 'ListStatements', async (options): Promise<ListedAttempt[]> => {
        const pages = paginateListStatements(
          { client: redshiftData },
          {
            StatementName: statementNamePrefix(identity.runKey),
            Status: 'ALL',
            Database: target.database,
            ...(target.workgroupName
              ? { WorkgroupName: target.workgroupName }
              : { ClusterIdentifier: target.clusterIdentifier }),
          },
          options,
        );
        const found: ListedAttempt[] = [];
        for await (const page of pages) {
          for (const statement of page.Statements ?? []) {
            // StatementName filters by prefix: keep this stage's attempt names only.
            const attempt = attemptOfStatementName(identity.runKey, statement.StatementName);
            if (attempt === undefined || !statement.Id) continue;
            found.push({
              id: statement.Id,
              attempt,
              status: statement.Status,
              createdAt: statement.CreatedAt,
            });
          }
        }
        return found.sort(
          (a, b) => b.attempt - a.attempt || (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0),
        );
      });

    // The checks run before the load statement exists: a blocking failure throws here, loading nothing.
    const checks = input.checks ? await probeChecks(input, input.checks, spec, context) : undefined;
    let transientFailures = 0;
    let resumeFromHeartbeat = true;
    let copied: { parts: number; skipped: number } | undefined;
    for (;;) {
      let listed: ListedAttempt[] = [];
      try {
        const outcome = await runToTerminal<DescribeStatementResponse>({
          ...spec,
          poll: input.poll,
          resumeFromHeartbeat,
          describe: (id) => describeOrExpired(spec, id),
          findExisting: async () => {
            listed = await listAttempts();
            const newest = listed[0];
            // Attach only to a statement that is running or finished: after FAILED/ABORTED, start anew.
            if (!newest || newest.status === 'FAILED' || newest.status === 'ABORTED') return undefined;
            return { runId: newest.id, startedAt: newest.createdAt };
          },
          start: async () => {
            if (input.copies?.length) {
              if (!copyManifests) {
                throw detectedFailure(
                  FailureType.InvalidConfig,
                  spec.subject(),
                  'this stage COPYs from S3 but the Redshift activities were built without an S3 client; pass s3',
                );
              }
              // Again before every statement: a rerun job may have rewritten the prefix.
              copied = { parts: 0, skipped: 0 };
              for (const copy of input.copies) {
                const prepared = await copyManifests.prepareCopy(copy, spec.subject());
                copied.parts += prepared.parts.length;
                copied.skipped += prepared.skipped.length;
              }
            }
            const attempt = (listed[0]?.attempt ?? 0) + 1;
            if (attempt > MAX_STATEMENT_ATTEMPT) {
              throw detectedFailure(
                FailureType.AwsJobFailed,
                spec.subject(listed[0]?.id),
                `${MAX_STATEMENT_ATTEMPT} statements of this stage failed; rerun the date to start afresh`,
              );
            }
            const key = statementAttemptKey(identity.runKey, attempt);
            const response = await awsCall(spec.subject(), 'BatchExecuteStatement', (options) =>
              redshiftData.send(
                new BatchExecuteStatementCommand({
                  ...targetParameters(target),
                  Sqls: input.sqls,
                  ClientToken: key,
                  StatementName: key,
                }),
                options,
              ),
            );
            if (!response.Id) throw new Error('Redshift Data BatchExecuteStatement returned no statement Id');
            return { runId: response.Id };
          },
        });
        const rows = (outcome.status.SubStatements ?? []).map((s) => s.ResultRows ?? -1);
        const rowsAffected = rows.filter((n) => n >= 0).reduce((sum, n) => sum + n, 0);
        return stageResult(identity, outcome, {
          metrics: { rowsOut: rowsAffected },
          details: {
            statements: input.sqls.length,
            rowsPerStatement: rows.join(','),
            rowsAffected,
            ...(transientFailures > 0 ? { transientFailures } : {}),
            ...(copied ? { copiedParts: copied.parts, skippedObjects: copied.skipped } : {}),
            ...(input.members ? { mergedDates: input.members.map((m) => m.logicalDate).join(',') } : {}),
          },
          ...(checks ? { checks } : {}),
        });
      } catch (error) {
        if (error instanceof StatementExpired) {
          const fromLedger = await decideFromLedger(input, spec, error, context);
          if (fromLedger) return checks ? { ...fromLedger, checks } : fromLedger;
          // The expired statement did not commit: a new statement does the load (its ledger guard
          // keeps it exactly-once should another attempt have committed meanwhile).
          resumeFromHeartbeat = false;
          continue;
        }
        const transient = transientStatementFailure(error);
        if (!transient) throw error;
        transientFailures += 1;
        if (transientFailures >= statementRetry.maxTransientFailures) {
          throw transientFailuresExhausted(identity.stageId, transientFailures, transient);
        }
        const delayMs = statementRetryDelayMs(statementRetry, transientFailures);
        context.log.warn(
          `Redshift Data ${identity.stageId}: statement ${transient.runId} failed transiently; ` +
            `a new statement follows in ${delayMs} ms`,
          { error: transient.message, transientFailures },
        );
        await sleepHeartbeating(context, delayMs, {
          awsRunId: transient.runId,
          awsState: 'FAILED',
          startedAt: new Date().toISOString(),
          polls: 0,
        });
        resumeFromHeartbeat = false;
      }
    }
  }

  /**
   * Measures the stage's checks with the probe batch (core/stage-io.ts WarehouseCheckPlan): it stages
   * the batch in a session temp table and runs one SELECT per check, in ONE transaction that changes no
   * permanent table (the temp table ends with the session), then reads each SELECT's rows by its
   * sub-statement id `<batch id>:<n>` (GetStatementResult). BatchExecuteStatement runs its statements
   * as one transaction with no way to abort it on a condition, so the gate is between two statements:
   * the load batch is only submitted when no blocking check failed.
   */
  async function probeChecks(
    input: RedshiftStageInput,
    plan: WarehouseCheckPlan,
    stageSpec: ReturnType<typeof statementSpec>,
    context: Context,
  ): Promise<CheckOutcome[]> {
    if (input.copies?.length) {
      if (!copyManifests) {
        throw detectedFailure(
          FailureType.InvalidConfig,
          stageSpec.subject(),
          'this stage COPYs from S3 but the Redshift activities were built without an S3 client; pass s3',
        );
      }
      for (const copy of input.copies) await copyManifests.prepareCopy(copy, stageSpec.subject());
    }
    const stageBeat = context.info.heartbeatDetails as unknown;
    const spec = statementSpec(`${input.identity.stageId} checks`, input.target, await regionPromise);
    const outcome = await runToTerminal<DescribeStatementResponse>({
      ...spec,
      poll: input.poll,
      findExisting: () => Promise.resolve(undefined),
      resumeFromHeartbeat: false,
      heartbeatDetails: () => stageBeat,
      start: async () => {
        const response = await awsCall(spec.subject(), 'BatchExecuteStatement', (options) =>
          redshiftData.send(
            new BatchExecuteStatementCommand({ ...targetParameters(input.target), Sqls: plan.probe }),
            options,
          ),
        );
        if (!response.Id) throw new Error('Redshift Data BatchExecuteStatement returned no statement Id');
        return { runId: response.Id };
      },
    });
    return judgeWarehouseChecks(input.identity.stageId, plan, (position) =>
      resultRows(spec, `${outcome.runId}:${position}`),
    );
  }

  async function resultRows(spec: ReturnType<typeof statementSpec>, id: string): Promise<RedshiftRow[]> {
    return awsCall(spec.subject(id), 'GetStatementResult', async (options) => {
      const rows: RedshiftRow[] = [];
      let columns: string[] = [];
      for await (const page of paginateGetStatementResult({ client: redshiftData }, { Id: id }, options)) {
        if (page.ColumnMetadata)
          columns = page.ColumnMetadata.map((c, i) => c.label || c.name || `column${i + 1}`);
        for (const record of page.Records ?? []) {
          rows.push(
            Object.fromEntries(record.map((field, i) => [columns[i] ?? `column${i + 1}`, fieldValue(field)])),
          );
        }
      }
      return rows;
    });
  }

  /**
   * DescribeStatement of a statement the Data API has forgotten (it keeps them 24 hours) answers
   * ResourceNotFoundException: that is no failure of the stage, the ledger knows what happened.
   */
  async function describeOrExpired(
    spec: ReturnType<typeof statementSpec>,
    id: string,
  ): Promise<DescribeStatementResponse> {
    try {
      return await spec.describe(id);
    } catch (error) {
      if (awsErrorCodeOf(error) === 'ResourceNotFoundException') throw new StatementExpired(id);
      throw error;
    }
  }

  /** The stage's result when the ledger records the batch; undefined when it does not. */
  async function decideFromLedger(
    input: RedshiftStageInput,
    spec: ReturnType<typeof statementSpec>,
    expired: StatementExpired,
    context: Context,
  ): Promise<StageResult | undefined> {
    if (!input.ledgerLookup) {
      throw detectedFailure(
        FailureType.AwsJobFailed,
        spec.subject(expired.statementId),
        'the Data API no longer knows the statement (it keeps statements 24 hours) and this stage has no ' +
          'ledgerLookup to decide whether it committed; rerun the date',
      );
    }
    const stageBeat = context.info.heartbeatDetails as unknown;
    const rows = await runQuery(input.target, input.ledgerLookup, input.poll, () => stageBeat);
    context.log.info(
      `Redshift Data ${input.identity.stageId}: statement ${expired.statementId} expired; the ledger ` +
        (rows.length > 0 ? 'records the batch: done' : 'has no row for the batch: running it again'),
    );
    if (rows.length === 0) return undefined;
    const now = new Date().toISOString();
    const ledgerRows = Number(rows[0]!.rows ?? 0);
    return {
      stageId: input.identity.stageId,
      awsRunId: expired.statementId,
      awsState: 'FINISHED',
      attached: true,
      startedAt: now,
      finishedAt: now,
      durationMs: 0,
      rowsOut: ledgerRows,
      details: { statements: input.sqls.length, decidedBy: 'load ledger (statement expired)', ledgerRows },
    };
  }

  /**
   * Runs one SELECT and returns its rows. `heartbeatDetails`, when given, is what to heartbeat instead
   * of the query's own progress: inside a stage, a crash must resume the stage's statement, not this one.
   */
  async function runQuery(
    target: RedshiftTarget,
    sql: string,
    poll: PollSettings,
    heartbeatDetails?: () => unknown,
  ): Promise<RedshiftRow[]> {
    const spec = statementSpec('query', target, await regionPromise);
    const outcome = await runToTerminal<DescribeStatementResponse>({
      ...spec,
      poll,
      findExisting: () => Promise.resolve(undefined),
      ...(heartbeatDetails ? { resumeFromHeartbeat: false, heartbeatDetails } : {}),
      start: async () => {
        const response = await awsCall(spec.subject(), 'ExecuteStatement', (options) =>
          redshiftData.send(new ExecuteStatementCommand({ ...targetParameters(target), Sql: sql }), options),
        );
        if (!response.Id) throw new Error('Redshift Data ExecuteStatement returned no statement Id');
        return { runId: response.Id };
      },
    });
    if (!outcome.status.HasResultSet) return [];
    if ((outcome.status.ResultRows ?? 0) > QUERY_MAX_ROWS) {
      throw detectedFailure(
        FailureType.InvalidInput,
        spec.subject(outcome.runId),
        `the query returned ${outcome.status.ResultRows} rows, more than queryRedshift returns (${QUERY_MAX_ROWS}); ` +
          'aggregate in SQL or UNLOAD the result to S3',
      );
    }
    return resultRows(spec, outcome.runId);
  }

  async function queryRedshift(rawInput: RedshiftQueryInput): Promise<RedshiftRow[]> {
    const input = parseStageInput(queryInputSchema, rawInput, 'queryRedshift');
    return runQuery(input.target, input.sql, input.poll ?? QUERY_POLL);
  }

  return { runRedshiftStage, queryRedshift };
}

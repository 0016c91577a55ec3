/**
 * Redshift Data API activities.
 * - runRedshiftStage: the stage's SQL as ONE transaction (BatchExecuteStatement) with ClientToken and
 *   StatementName = run key; a retried attempt attaches via ListStatements(StatementName) first.
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
import { FailureType } from '../core/errors';
import type { PollSettings, RedshiftStageInput, RedshiftTarget, StageResult } from '../core/stage-io';
import { awsCall, clientRegion } from './aws-call';
import { detectedFailure, type FailureSubject } from './aws-errors';
import { consoleLinks, linkIn } from './console-links';
import { type FoundRun, type RunPhase, type RunSpec, runToTerminal } from './poll-run';
import { identitySchema, parseStageInput, pollSchema, redshiftTargetSchema, text, z } from './stage-input';
import { stageResult } from './stage-result';

export const REDSHIFT_STATEMENT_PHASES: Readonly<Record<Exclude<StatusString, 'ALL'>, RunPhase>> = {
  SUBMITTED: 'running',
  PICKED: 'running',
  STARTED: 'running',
  FINISHED: 'succeeded',
  FAILED: 'failed',
  ABORTED: 'failed',
};

export const REDSHIFT_STOP_WAIT_MS = 5 * 60_000;
/** Polling of small reads: they usually finish in a second or two. */
export const QUERY_POLL: PollSettings = {
  initialIntervalMs: 250,
  maxIntervalMs: 5_000,
  backoffCoefficient: 1.5,
};
/** queryRedshift is for small results; bigger ones belong in S3 (UNLOAD). */
export const QUERY_MAX_ROWS = 10_000;
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
}) satisfies z.ZodType<RedshiftStageInput>;

const queryInputSchema = z.object({
  target: redshiftTargetSchema,
  sql: text,
  poll: pollSchema.optional(),
}) satisfies z.ZodType<RedshiftQueryInput>;

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

export function createRedshiftDataActivities(clients: { redshiftData: RedshiftDataClient }) {
  const { redshiftData } = clients;
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
    const spec = statementSpec(identity.stageId, target, await regionPromise);

    const findExisting = () =>
      awsCall(spec.subject(), 'ListStatements', async (options): Promise<FoundRun | undefined> => {
        const pages = paginateListStatements(
          { client: redshiftData },
          {
            StatementName: identity.runKey,
            Status: 'ALL',
            Database: target.database,
            ...(target.workgroupName
              ? { WorkgroupName: target.workgroupName }
              : { ClusterIdentifier: target.clusterIdentifier }),
          },
          options,
        );
        let newest: { Id?: string; CreatedAt?: Date } | undefined;
        for await (const page of pages) {
          for (const statement of page.Statements ?? []) {
            // StatementName filters by prefix: keep exact matches only.
            if (statement.StatementName !== identity.runKey || !statement.Id) continue;
            if (!newest || (statement.CreatedAt?.getTime() ?? 0) > (newest.CreatedAt?.getTime() ?? 0))
              newest = statement;
          }
        }
        return newest?.Id ? { runId: newest.Id, startedAt: newest.CreatedAt } : undefined;
      });

    const outcome = await runToTerminal<DescribeStatementResponse>({
      ...spec,
      poll: input.poll,
      findExisting,
      start: async () => {
        const response = await awsCall(spec.subject(), 'BatchExecuteStatement', (options) =>
          redshiftData.send(
            new BatchExecuteStatementCommand({
              ...targetParameters(target),
              Sqls: input.sqls,
              ClientToken: identity.runKey,
              StatementName: identity.runKey,
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
      details: { statements: input.sqls.length, rowsPerStatement: rows.join(','), rowsAffected },
    });
  }

  async function queryRedshift(rawInput: RedshiftQueryInput): Promise<RedshiftRow[]> {
    const input = parseStageInput(queryInputSchema, rawInput, 'queryRedshift');
    const spec = statementSpec('query', input.target, await regionPromise);
    const outcome = await runToTerminal<DescribeStatementResponse>({
      ...spec,
      poll: input.poll ?? QUERY_POLL,
      findExisting: () => Promise.resolve(undefined),
      start: async () => {
        const response = await awsCall(spec.subject(), 'ExecuteStatement', (options) =>
          redshiftData.send(
            new ExecuteStatementCommand({ ...targetParameters(input.target), Sql: input.sql }),
            options,
          ),
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
    return awsCall(spec.subject(outcome.runId), 'GetStatementResult', async (options) => {
      const rows: RedshiftRow[] = [];
      let columns: string[] = [];
      for await (const page of paginateGetStatementResult(
        { client: redshiftData },
        { Id: outcome.runId },
        options,
      )) {
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

  return { runRedshiftStage, queryRedshift };
}

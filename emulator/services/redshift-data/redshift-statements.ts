import { z } from 'zod';
import { AwsError } from '../../http/aws-error';
import { paginate } from '../../http/pagination';
import { parseInput } from '../../http/validate-input';
import { uuid } from '../../runtime/ids';
import type { RecordStore } from '../../runtime/record-store';
import type { StateFile } from '../../runtime/state-file';
import { forgetOldFinished } from '../run-retention';
import { mainPhaseMs, takeScriptedFailure } from '../run-timing';
import type { ServiceContext } from '../service-context';
import type { ResultStore } from './result-store';
import { parameterNames } from './sql-rewrite';
import type { StatementExecutor } from './statement-executor';
import { type StatementRecord, type StatementsState, TERMINAL_STATUSES } from './statement-record';
import { describeView, listView, submitView } from './statement-views';

const VALIDATION = 'ValidationException';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const targetShape = {
  ClusterIdentifier: z.string().min(1).optional(),
  WorkgroupName: z.string().min(1).optional(),
  Database: z.string().min(1, 'Member must not be null').optional(),
  DbUser: z.string().optional(),
  SecretArn: z.string().optional(),
  StatementName: z.string().min(1).max(500).optional(),
  ClientToken: z.string().min(1).max(64).optional(),
  Parameters: z
    .array(
      z.object({
        name: z.string().regex(/^[0-9a-zA-Z_]+$/, 'Member must match [0-9a-zA-Z_]+'),
        value: z.string().min(1),
      }),
    )
    .min(1)
    .optional(),
  ResultFormat: z.enum(['JSON', 'CSV']).optional(),
  SessionId: z.string().optional(),
  SessionKeepAliveSeconds: z.number().int().optional(),
  WithEvent: z.boolean().optional(),
};
const executeInput = z.object({ Sql: z.string().min(1, 'Member must not be null'), ...targetShape });
const batchInput = z.object({ Sqls: z.array(z.string().min(1)).min(1).max(40), ...targetShape });
const idInput = z.object({ Id: z.string().regex(UUID, 'Member must be a statement id (UUID)') });
const resultInput = z.object({
  Id: z
    .string()
    .regex(/^[0-9a-f-]{36}(:\d+)?$/i, 'Member must be a statement id (UUID, or UUID:n for a sub-statement)'),
  NextToken: z.string().optional(),
});
const listInput = z.object({
  NextToken: z.string().optional(),
  MaxResults: z.number().int().min(0).max(100).optional(),
  StatementName: z.string().optional(),
  Status: z.enum(['SUBMITTED', 'PICKED', 'STARTED', 'FINISHED', 'ABORTED', 'FAILED', 'ALL']).optional(),
  Database: z.string().optional(),
  ClusterIdentifier: z.string().optional(),
  WorkgroupName: z.string().optional(),
  RoleLevel: z.boolean().optional(),
});

/**
 * The Data API keeps a statement and its result for 24 hours ("query results are stored for 24 hours",
 * https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html); after that DescribeStatement answers
 * ResourceNotFoundException, on the emulator clock too.
 */
const STATEMENT_RETENTION_MS = 24 * 60 * 60_000;

type SubmitRequest = z.infer<typeof executeInput> | z.infer<typeof batchInput>;

/** The Redshift Data API's operations over statement records; execution lives in StatementExecutor. */
export class RedshiftStatements {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly state: StateFile<StatementsState>,
    private readonly records: RecordStore<StatementRecord>,
    private readonly lanes: StatementExecutor,
    private readonly results: ResultStore,
  ) {}

  executeStatement(input: unknown): Promise<unknown> {
    const request = parseInput(executeInput, input, VALIDATION);
    return this.submit('ExecuteStatement', request, [request.Sql], false);
  }

  batchExecuteStatement(input: unknown): Promise<unknown> {
    const request = parseInput(batchInput, input, VALIDATION);
    return this.submit('BatchExecuteStatement', request, request.Sqls, true);
  }

  describeStatement(input: unknown): unknown {
    const { Id } = parseInput(idInput, input, VALIDATION);
    return describeView(this.statement(Id), this.ctx.clock.now());
  }

  async getStatementResult(input: unknown): Promise<unknown> {
    const { Id, NextToken } = parseInput(resultInput, input, VALIDATION);
    const [parentId, subNumber] = Id.split(':');
    const statement = this.statement(parentId!);
    if (statement.isBatch && subNumber === undefined) {
      throw new AwsError(
        VALIDATION,
        `Statement ${Id} is a batch; ask for a sub-statement's result with its id, e.g. ${Id}:1`,
      );
    }
    const index = subNumber === undefined ? 0 : Number(subNumber) - 1;
    const sub = statement.subs[index];
    if (!sub)
      throw new AwsError('ResourceNotFoundException', 'Query does not exist.', 400, { ResourceId: Id });
    if (statement.resultFormat === 'CSV') {
      throw new AwsError(
        VALIDATION,
        'The statement was run with ResultFormat CSV; the emulator serves JSON results only',
      );
    }
    if (statement.status !== 'FINISHED' || !sub.hasResultSet) {
      throw new AwsError(
        VALIDATION,
        'Query does not have result. Please check query status with DescribeStatement.',
      );
    }
    const result = await this.results.read(`${parentId}:${index + 1}`);
    if (!result)
      throw new AwsError('ResourceNotFoundException', 'Query result is no longer available.', 400, {
        ResourceId: Id,
      });
    const rows = result.records.map((record, row) => ({ record, row: String(row) }));
    const page = paginate(rows, (r) => r.row, NextToken, this.ctx.config.redshift.resultPageRows, VALIDATION);
    return {
      Records: page.items.map((r) => r.record),
      ColumnMetadata: result.columns,
      TotalNumRows: result.records.length,
      NextToken: page.nextToken,
    };
  }

  listStatements(input: unknown): unknown {
    const request = parseInput(listInput, input, VALIDATION);
    const status = request.Status ?? 'FINISHED';
    const now = this.ctx.clock.now();
    const matching = [...this.state.data.statements]
      .reverse()
      .filter(
        (s) =>
          !this.expired(s, now) &&
          (status === 'ALL' || s.status === status) &&
          (request.StatementName === undefined ||
            (s.statementName ?? '').startsWith(request.StatementName)) &&
          (request.Database === undefined || s.database === request.Database) &&
          (request.WorkgroupName === undefined || s.workgroupName === request.WorkgroupName) &&
          (request.ClusterIdentifier === undefined || s.clusterIdentifier === request.ClusterIdentifier),
      );
    const page = paginate(
      matching,
      (s) => s.id,
      request.NextToken,
      request.MaxResults || 100,
      VALIDATION,
      (s) => s.createdAt,
    );
    return { Statements: page.items.map(listView), NextToken: page.nextToken };
  }

  async cancelStatement(input: unknown): Promise<unknown> {
    const { Id } = parseInput(idInput, input, VALIDATION);
    const statement = this.statement(Id);
    if (TERMINAL_STATUSES.includes(statement.status) || !(await this.lanes.cancel(statement))) {
      throw new AwsError(
        VALIDATION,
        `Could not cancel a query that is already in ${statement.status} state.`,
      );
    }
    return { Status: true };
  }

  private async submit(
    operation: string,
    request: SubmitRequest,
    sqls: string[],
    isBatch: boolean,
  ): Promise<unknown> {
    const resource = request.WorkgroupName ?? request.ClusterIdentifier ?? '';
    const log = (outcome: 'started' | 'replayed' | 'rejected', runId?: string, error?: string) =>
      this.ctx.calls.record({
        service: 'redshift-data',
        operation,
        resource,
        outcome,
        ...(request.ClientToken === undefined ? {} : { idempotencyKey: request.ClientToken }),
        ...(runId === undefined ? {} : { runId }),
        ...(error === undefined ? {} : { error }),
      });
    try {
      this.validateTarget(request, sqls);
    } catch (error) {
      await log('rejected', undefined, (error as AwsError).code);
      throw error;
    }
    const earlier =
      request.ClientToken === undefined
        ? undefined
        : this.state.data.statements.find(
            (s) => s.clientToken === request.ClientToken && !this.expired(s, this.ctx.clock.now()),
          );
    if (earlier) {
      await log('replayed', earlier.id);
      return submitView(earlier);
    }
    const now = this.ctx.clock.now();
    const record: StatementRecord = {
      id: uuid(),
      isBatch,
      database: request.Database!,
      resultFormat: request.ResultFormat ?? 'JSON',
      status: 'SUBMITTED',
      createdAt: now,
      updatedAt: now,
      runMs: mainPhaseMs(this.ctx, 'redshift-data', [request.StatementName], 0),
      redshiftPid: 1073740000 + (this.state.data.nextQueryId % 100000),
      subs: sqls.map((sql) => ({
        sql,
        status: 'SUBMITTED',
        resultRows: 0,
        resultSize: 0,
        hasResultSet: false,
        updatedAt: now,
        redshiftQueryId: this.state.data.nextQueryId++,
      })),
    };
    const optional = {
      statementName: request.StatementName,
      clientToken: request.ClientToken,
      workgroupName: request.WorkgroupName,
      clusterIdentifier: request.ClusterIdentifier,
      dbUser: request.DbUser,
      secretArn: request.SecretArn,
      parameters: request.Parameters,
      scriptedFailure: await takeScriptedFailure(this.ctx, 'redshift-data', [request.StatementName]),
    };
    for (const [key, value] of Object.entries(optional))
      if (value !== undefined) Object.assign(record, { [key]: value });
    const forgotten = this.forgetOldStatements(now);
    this.state.data.statements.push(record);
    await Promise.all([this.state.save(), this.records.save(record)]);
    await Promise.all([
      ...forgotten.map((old) => this.records.remove(old)),
      ...forgotten.flatMap((old) =>
        old.subs.map((_, index) => this.results.delete(`${old.id}:${index + 1}`)),
      ),
    ]);
    await log('started', record.id);
    this.lanes.submit(record);
    return submitView(record);
  }

  /**
   * Drops finished statements the Data API would have forgotten (ended over 24 hours ago) and those
   * beyond the configured number kept; returns them, so their results can go too.
   */
  private forgetOldStatements(now: number): StatementRecord[] {
    const { kept, forgotten } = forgetOldFinished(this.state.data.statements, {
      isFinished: (s) => TERMINAL_STATUSES.includes(s.status),
      kept: this.ctx.config.redshift.finishedStatementsKept,
      expired: (s) => now - (s.endedAt ?? s.updatedAt) >= STATEMENT_RETENTION_MS,
    });
    this.state.data.statements = kept;
    return forgotten;
  }

  private validateTarget(request: SubmitRequest, sqls: string[]): void {
    if ((request.WorkgroupName === undefined) === (request.ClusterIdentifier === undefined)) {
      throw new AwsError(
        VALIDATION,
        request.WorkgroupName === undefined
          ? 'Either ClusterIdentifier or WorkgroupName needs to be specified.'
          : 'Specify only one of ClusterIdentifier or WorkgroupName.',
      );
    }
    if (request.Database === undefined) throw new AwsError(VALIDATION, 'Database must be specified.');
    if (request.SessionId !== undefined || request.SessionKeepAliveSeconds !== undefined) {
      throw new AwsError(
        VALIDATION,
        'The emulator does not support Data API sessions (SessionId, SessionKeepAliveSeconds); omit them.',
      );
    }
    const { redshift } = this.ctx.config;
    if (
      request.WorkgroupName !== undefined &&
      !redshift.workgroups.some((w) => w.name === request.WorkgroupName)
    ) {
      throw new AwsError('ResourceNotFoundException', `Workgroup ${request.WorkgroupName} not found.`, 400, {
        ResourceId: request.WorkgroupName,
      });
    }
    if (
      request.ClusterIdentifier !== undefined &&
      !redshift.clusters.some((c) => c.identifier === request.ClusterIdentifier)
    ) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Cluster ${request.ClusterIdentifier} not found.`,
        400,
        {
          ResourceId: request.ClusterIdentifier,
        },
      );
    }
    const supplied = new Set((request.Parameters ?? []).map((p) => p.name));
    if (request.Parameters) {
      for (const sql of sqls) {
        for (const name of parameterNames(sql)) {
          if (!supplied.has(name))
            throw new AwsError(VALIDATION, `The SQL uses :${name} but Parameters has no "${name}".`);
        }
      }
    }
  }

  /** Ended 24 hours ago or more (emulator clock): the Data API no longer knows it. */
  private expired(statement: StatementRecord, now: number): boolean {
    return (
      TERMINAL_STATUSES.includes(statement.status) &&
      now - (statement.endedAt ?? statement.updatedAt) >= STATEMENT_RETENTION_MS
    );
  }

  private statement(id: string): StatementRecord {
    const statement = this.state.data.statements.find((s) => s.id === id);
    if (!statement || this.expired(statement, this.ctx.clock.now()))
      throw new AwsError('ResourceNotFoundException', 'Query does not exist.', 400, { ResourceId: id });
    return statement;
  }
}

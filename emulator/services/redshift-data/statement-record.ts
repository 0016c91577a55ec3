export type StatementStatus = 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';

export const TERMINAL_STATUSES: StatementStatus[] = ['FINISHED', 'FAILED', 'ABORTED'];

export interface SubStatementRecord {
  /** Not persisted once the statement finished (see withoutFinishedSql): empty after a restart. */
  sql: string;
  status: StatementStatus;
  error?: string;
  resultRows: number;
  resultSize: number;
  hasResultSet: boolean;
  startedAt?: number;
  endedAt?: number;
  updatedAt: number;
  redshiftQueryId: number;
}

/** One ExecuteStatement (one sub-statement) or BatchExecuteStatement (several, one transaction). */
export interface StatementRecord {
  id: string;
  isBatch: boolean;
  statementName?: string;
  clientToken?: string;
  workgroupName?: string;
  clusterIdentifier?: string;
  database: string;
  dbUser?: string;
  secretArn?: string;
  parameters?: { name: string; value: string }[];
  resultFormat: 'JSON' | 'CSV';
  status: StatementStatus;
  error?: string;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  endedAt?: number;
  /** Fixed at submission so a restart replays the same plan. */
  runMs: number;
  scriptedFailure?: string;
  redshiftPid: number;
  subs: SubStatementRecord[];
}

export interface StatementsState {
  nextQueryId: number;
  statements: StatementRecord[];
}

/** The warehouse a statement runs in: one per workgroup/cluster and database. */
export function warehouseOf(statement: StatementRecord): string {
  return `${statement.workgroupName ?? statement.clusterIdentifier}/${statement.database}`;
}

/**
 * What a statement's record keeps: its SQL text only while it is still to run. Loads and merges are
 * kilobytes of SQL each, needed after a restart only to run them.
 */
export function withoutFinishedSql(statement: StatementRecord): unknown {
  return TERMINAL_STATUSES.includes(statement.status)
    ? { ...statement, subs: statement.subs.map(({ sql: _sql, ...sub }) => sub) }
    : statement;
}

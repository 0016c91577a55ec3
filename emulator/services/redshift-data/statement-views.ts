import { epochSeconds } from '../../http/timestamps';
import type { StatementRecord, SubStatementRecord } from './statement-record';

/** Duration in nanoseconds, as the Data API reports it; running statements count up to now. */
function durationNs(startedAt: number | undefined, endedAt: number | undefined, now: number): number {
  return startedAt === undefined ? -1 : ((endedAt ?? now) - startedAt) * 1_000_000;
}

function queryString(statement: StatementRecord): string {
  return statement.subs.map((s) => s.sql).join('; ');
}

export function describeView(statement: StatementRecord, now: number): Record<string, unknown> {
  const rows = statement.subs.reduce((sum, s) => sum + Math.max(0, s.resultRows), 0);
  return {
    Id: statement.id,
    SecretArn: statement.secretArn,
    DbUser: statement.dbUser,
    Database: statement.database,
    ClusterIdentifier: statement.clusterIdentifier,
    WorkgroupName: statement.workgroupName,
    Duration: durationNs(statement.startedAt, statement.endedAt, now),
    Error: statement.error,
    Status: statement.status,
    CreatedAt: epochSeconds(statement.createdAt),
    UpdatedAt: epochSeconds(statement.updatedAt),
    RedshiftPid: statement.redshiftPid,
    HasResultSet: statement.subs.some((s) => s.hasResultSet),
    QueryString: queryString(statement),
    ResultRows: statement.status === 'FINISHED' ? rows : -1,
    ResultSize:
      statement.status === 'FINISHED' ? statement.subs.reduce((sum, s) => sum + s.resultSize, 0) : -1,
    RedshiftQueryId: statement.subs[0]?.redshiftQueryId ?? 0,
    QueryParameters: statement.parameters,
    SubStatements: statement.isBatch
      ? statement.subs.map((sub, index) => subView(statement, sub, index, now))
      : undefined,
    ResultFormat: statement.resultFormat,
  };
}

function subView(
  statement: StatementRecord,
  sub: SubStatementRecord,
  index: number,
  now: number,
): Record<string, unknown> {
  return {
    Id: `${statement.id}:${index + 1}`,
    Duration: durationNs(sub.startedAt, sub.endedAt, now),
    Error: sub.error,
    Status: sub.status,
    CreatedAt: epochSeconds(statement.createdAt),
    UpdatedAt: epochSeconds(sub.updatedAt),
    QueryString: sub.sql,
    ResultRows: sub.status === 'FINISHED' ? sub.resultRows : -1,
    ResultSize: sub.status === 'FINISHED' ? sub.resultSize : -1,
    RedshiftQueryId: sub.redshiftQueryId,
    HasResultSet: sub.hasResultSet,
  };
}

export function listView(statement: StatementRecord): Record<string, unknown> {
  return {
    Id: statement.id,
    ...(statement.isBatch
      ? { QueryStrings: statement.subs.map((s) => s.sql) }
      : { QueryString: statement.subs[0]?.sql }),
    SecretArn: statement.secretArn,
    Status: statement.status,
    StatementName: statement.statementName,
    CreatedAt: epochSeconds(statement.createdAt),
    UpdatedAt: epochSeconds(statement.updatedAt),
    QueryParameters: statement.parameters,
    IsBatchStatement: statement.isBatch,
    ResultFormat: statement.resultFormat,
  };
}

export function submitView(statement: StatementRecord): Record<string, unknown> {
  return {
    Id: statement.id,
    CreatedAt: epochSeconds(statement.createdAt),
    ClusterIdentifier: statement.clusterIdentifier,
    WorkgroupName: statement.workgroupName,
    Database: statement.database,
    DbUser: statement.dbUser,
    SecretArn: statement.secretArn,
    DbGroups: [],
  };
}

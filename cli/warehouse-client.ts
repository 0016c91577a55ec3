/**
 * Reads the warehouse through the Redshift Data API, as people do from a laptop: the local
 * emulator's DuckDB warehouse in local mode, Redshift itself in AWS.
 */
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type Field,
  paginateGetStatementResult,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import type { RedshiftTarget } from '../core/stage-io';

export type WarehouseRow = Record<string, string | number | boolean | null>;

function fieldValue(field: Field): string | number | boolean | null {
  if (field.isNull) return null;
  return field.stringValue ?? field.longValue ?? field.doubleValue ?? field.booleanValue ?? null;
}

export async function queryWarehouse(
  client: RedshiftDataClient,
  target: RedshiftTarget,
  sql: string,
): Promise<WarehouseRow[]> {
  const { Id } = await client.send(
    new ExecuteStatementCommand({
      Database: target.database,
      Sql: sql,
      ...(target.workgroupName ? { WorkgroupName: target.workgroupName } : {}),
      ...(target.clusterIdentifier ? { ClusterIdentifier: target.clusterIdentifier } : {}),
      ...(target.secretArn ? { SecretArn: target.secretArn } : {}),
      ...(target.dbUser ? { DbUser: target.dbUser } : {}),
    }),
  );
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    const status = await client.send(new DescribeStatementCommand({ Id }));
    if (status.Status === 'FINISHED') {
      if (!status.HasResultSet) return [];
      break;
    }
    if (status.Status === 'FAILED' || status.Status === 'ABORTED') {
      throw new Error(`query ${status.Status}: ${status.Error ?? 'no message'}`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
  const rows: WarehouseRow[] = [];
  let columns: string[] = [];
  for await (const page of paginateGetStatementResult({ client }, { Id })) {
    if (page.ColumnMetadata)
      columns = page.ColumnMetadata.map((c, i) => c.label ?? c.name ?? `column${i + 1}`);
    for (const record of page.Records ?? []) {
      rows.push(
        Object.fromEntries(record.map((field, i) => [columns[i] ?? `column${i + 1}`, fieldValue(field)])),
      );
    }
  }
  return rows;
}

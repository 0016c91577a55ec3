/**
 * Reads the warehouse outside a workflow (the CLI's summary, `medallion sql`, tests): one statement
 * through the Redshift Data API, waited for without heartbeats. Inside workflows use the
 * queryRedshift activity.
 */
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  paginateGetStatementResult,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import type { RedshiftTarget } from '../core/stage-io';
import { fieldValue, type RedshiftRow, targetParameters } from './redshift-data';

/** Runs SQL against one warehouse and returns its rows. */
export type WarehouseQuery = (sql: string) => Promise<RedshiftRow[]>;

export function warehouseQuery(client: RedshiftDataClient, target: RedshiftTarget): WarehouseQuery {
  return async (sql) => {
    const { Id } = await client.send(new ExecuteStatementCommand({ ...targetParameters(target), Sql: sql }));
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
    const rows: RedshiftRow[] = [];
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
  };
}

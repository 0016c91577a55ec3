import { join } from 'node:path';
import { jsonRpcHandler } from '../../http/json-rpc-protocol';
import type { EmulatedService, ServiceContext } from '../service-context';
import { RedshiftStatements } from './redshift-statements';
import { ResultStore } from './result-store';
import { StatementExecutor } from './statement-executor';
import { loadSqlParser } from './table-access';
import { type StatementRecord, type StatementsState, withoutFinishedSql } from './statement-record';
import { Warehouse } from './warehouse';

/** Redshift Data API (awsJson1_1, X-Amz-Target RedshiftData.*) running SQL on DuckDB (`warehouse.duckdb`). */
export async function createRedshiftDataService(ctx: ServiceContext): Promise<EmulatedService> {
  const name = 'redshift-data-statements';
  const state = await ctx.openState<StatementsState>(
    name,
    () => ({ nextQueryId: 1000, statements: [] }),
    (data) => ({ nextQueryId: data.nextQueryId }),
  );
  const records = await ctx.openRecords<StatementRecord>(name, {
    idOf: (statement) => statement.id,
    persisted: withoutFinishedSql,
  });
  // an older emulator kept the statements inside the state file
  state.data.statements = await records.adopt(state.data.statements ?? []);
  await state.save();
  for (const statement of state.data.statements) for (const sub of statement.subs) sub.sql ??= '';
  const warehouse = new Warehouse(join(ctx.dataDir, 'warehouse.duckdb'));
  const results = new ResultStore(join(ctx.dataDir, 'redshift-data', 'results'));
  await loadSqlParser();
  const lanes = new StatementExecutor(ctx, state, records, warehouse, results);
  const statements = new RedshiftStatements(ctx, state, records, lanes, results);
  return {
    signingName: 'redshift-data',
    handler: jsonRpcHandler(
      {
        service: 'redshift-data',
        targetPrefix: 'RedshiftData',
        operations: {
          ExecuteStatement: (input) => statements.executeStatement(input),
          BatchExecuteStatement: (input) => statements.batchExecuteStatement(input),
          DescribeStatement: (input) => statements.describeStatement(input),
          GetStatementResult: (input) => statements.getStatementResult(input),
          ListStatements: (input) => statements.listStatements(input),
          CancelStatement: (input) => statements.cancelStatement(input),
        },
      },
      ctx.gate,
    ),
    resume: () => lanes.resume(),
    close: async () => {
      await lanes.close();
      await warehouse.close();
    },
  };
}

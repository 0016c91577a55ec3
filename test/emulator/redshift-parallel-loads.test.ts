/**
 * Parallel dates' loads conflict on the ledger, as on a real cluster, and still end exactly-once.
 *
 * Every load reads and writes medallion_load_ledger in its transaction, the pattern AWS names as the
 * cause of "ERROR: 1023 ... Serializable isolation violation", with the advice to retry the transaction
 * (https://docs.aws.amazon.com/redshift/latest/dg/c_serial_isolation.html). The real activity
 * (runRedshiftStage) runs the Redshift dialect's SQL (COPY from a manifest) against the emulator's
 * Redshift Data API for several dates at once.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
} from '@aws-sdk/client-redshift-data';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createRedshiftDataActivities } from '../../activities/redshift-data';
import type { WarehouseBatch } from '../../core/plan';
import type { RedshiftStageInput, StageResult } from '../../core/stage-io';
import { warehouseSql } from '../../core/warehouse-statements';
import { type FactLoadSpecInput, parseFactLoadSpec } from '../../core/warehouse-spec';
import { FAST_POLL, harness, identity, previousAttempt } from '../support/activity-harness';
import { LAKE, type TestEmulator, startTestEmulator, waitFor } from '../support/emulator-fixture';

const WORKGROUP = 'medallion';
const DATABASE = 'shop';
const DATES = ['2024-05-01', '2024-05-02', '2024-05-03', '2024-05-04'];
const fact: FactLoadSpecInput = {
  table: 'fact_sales',
  schema: 'analytics',
  columns: [
    { name: 'sale_id', type: 'bigint' },
    { name: 'amount_cents', type: 'bigint' },
  ],
  partitionColumn: 'dt',
};
let t: TestEmulator;
let scratch: string;
let runRedshiftStage: ReturnType<typeof createRedshiftDataActivities>['runRedshiftStage'];

beforeAll(async () => {
  t = await startTestEmulator({
    s3: { buckets: [LAKE] },
    redshift: { workgroups: [{ name: WORKGROUP, databases: [DATABASE] }] },
  });
  ({ runRedshiftStage } = createRedshiftDataActivities(
    { redshiftData: t.clients.redshift, s3: t.clients.s3 },
    { statementRetry: { maxTransientFailures: 10, initialDelayMs: 20, maxDelayMs: 200 } },
  ));
  scratch = await mkdtemp(join(tmpdir(), 'medallion-parallel-loads-'));
  for (const [index, date] of DATES.entries()) await putParquet(date, index);
});
afterAll(async () => {
  await t.close();
  await rm(scratch, { recursive: true, force: true });
});

/** Day `index`'s gold output: sales index*100+1 .. index*100+index+2, then Spark's _SUCCESS marker. */
async function putParquet(date: string, index: number): Promise<void> {
  const duck = await DuckDBInstance.create(':memory:');
  const connection = await duck.connect();
  const file = join(scratch, `${date}.parquet`);
  await connection.run(
    `COPY (SELECT ${index} * 100 + i AS sale_id, i * 10 AS amount_cents FROM range(1, ${index + 3}) r(i)) TO '${file}' (FORMAT parquet)`,
  );
  connection.closeSync();
  duck.closeSync();
  await t.clients.s3.send(
    new PutObjectCommand({
      Bucket: LAKE,
      Key: `gold/fact_sales/dt=${date}/part-00000.parquet`,
      Body: await readFile(file),
    }),
  );
  // Spark's marker: COPY from the prefix would read it; the load's manifest leaves it out.
  await t.clients.s3.send(
    new PutObjectCommand({ Bucket: LAKE, Key: `gold/fact_sales/dt=${date}/_SUCCESS`, Body: '' }),
  );
}

function stageInput(date: string): RedshiftStageInput {
  const id = identity('load_fact_sales', 0, date);
  const sourceUri = `s3://${LAKE}/gold/fact_sales/dt=${date}/`;
  const manifestUri = `s3://${LAKE}/_medallion/copy-manifests/shop/${date}/load_fact_sales/${id.runKey}.manifest`;
  const batch: WarehouseBatch = {
    logicalDate: date,
    batchId: id.runKey,
    sourceUri,
    manifestUri,
    dialect: 'redshift',
    copyRoleArn: 'arn:aws:iam::123456789012:role/medallion-redshift-copy',
  };
  const spec = parseFactLoadSpec(fact);
  return {
    kind: 'redshift',
    identity: id,
    poll: FAST_POLL,
    target: { database: DATABASE, workgroupName: WORKGROUP },
    sqls: warehouseSql.factLoadStatements(spec, batch),
    ledgerLookup: warehouseSql.ledgerLookup(spec, batch),
    copies: [{ sourceUri, manifestUri, columns: spec.columns.map(({ name, type }) => ({ name, type })) }],
  };
}

async function query(sql: string): Promise<(string | number | null)[][]> {
  const { Id } = await t.clients.redshift.send(
    new ExecuteStatementCommand({ WorkgroupName: WORKGROUP, Database: DATABASE, Sql: sql }),
  );
  await waitFor(
    () => t.clients.redshift.send(new DescribeStatementCommand({ Id })),
    (d) => d.Status === 'FINISHED',
  );
  const result = await t.clients.redshift.send(new GetStatementResultCommand({ Id }));
  return (result.Records ?? []).map((r) => r.map((f) => f.longValue ?? f.stringValue ?? null));
}

it('loads four dates in parallel: the ledger makes them conflict (1023), retries make each exactly-once', async () => {
  // Each transaction stays open 400 ms, as a real load would for a while: all four overlap.
  await t.emulator.admin.setDuration({ service: 'redshift-data', name: '*', ms: 400 });
  const results: StageResult[] = await Promise.all(
    DATES.map((date) => harness().run(runRedshiftStage, stageInput(date))),
  );

  const conflicts = results.reduce((sum, r) => sum + Number(r.details?.transientFailures ?? 0), 0);
  expect(conflicts).toBeGreaterThanOrEqual(DATES.length - 1);
  const failed = await t.clients.redshift.send(
    new ListStatementsCommand({
      Status: 'FAILED',
      WorkgroupName: WORKGROUP,
      Database: DATABASE,
      MaxResults: 100,
    }),
  );
  expect(failed.Statements!.length).toBe(conflicts);

  const counts = await query(
    `SELECT CAST(dt AS VARCHAR), COUNT(*), SUM(amount_cents) FROM analytics.fact_sales GROUP BY dt ORDER BY dt`,
  );
  expect(counts).toEqual(DATES.map((date, index) => [date, index + 2, ((index + 2) * (index + 3) * 10) / 2]));
  const ledger = await query(
    `SELECT CAST(logical_date AS VARCHAR), COUNT(*) FROM analytics.medallion_load_ledger GROUP BY logical_date ORDER BY 1`,
  );
  expect(ledger).toEqual(DATES.map((date) => [date, 1]));

  // The same batches run again, as new statements (another stage key, same SQL and batch ids): the
  // ledger turns every one into a no-op.
  await t.emulator.admin.setDuration({ service: 'redshift-data', name: '*', ms: 0 });
  for (const date of DATES) {
    const replay = { ...stageInput(date), identity: identity('load_fact_sales_replay', 0, date) };
    await harness().run(runRedshiftStage, replay);
  }
  expect(
    await query(
      `SELECT CAST(dt AS VARCHAR), COUNT(*), SUM(amount_cents) FROM analytics.fact_sales GROUP BY dt ORDER BY dt`,
    ),
  ).toEqual(counts);
}, 60_000);

it('a resumed attempt whose statement expired (24 h) asks the ledger instead of failing or loading twice', async () => {
  const date = DATES[0]!;
  const listed = await t.clients.redshift.send(
    new ListStatementsCommand({ StatementName: stageInput(date).identity.runKey, Status: 'FINISHED' }),
  );
  const finished = listed.Statements![0]!;
  const before = await query(`SELECT COUNT(*) FROM analytics.fact_sales WHERE dt = DATE '${date}'`);
  const realNow = Date.now.bind(Date);
  const dayLater = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 25 * 60 * 60_000);
  try {
    const h = harness(
      previousAttempt({
        awsRunId: finished.Id!,
        awsState: 'STARTED',
        startedAt: new Date().toISOString(),
        polls: 3,
      }),
    );
    const result = await h.run(runRedshiftStage, stageInput(date));
    expect(result).toMatchObject({ awsRunId: finished.Id, awsState: 'FINISHED', attached: true, rowsOut: 2 });
    expect(result.details).toMatchObject({ decidedBy: 'load ledger (statement expired)' });
  } finally {
    dayLater.mockRestore();
  }
  expect(await query(`SELECT COUNT(*) FROM analytics.fact_sales WHERE dt = DATE '${date}'`)).toEqual(before);
});

it('retries a scripted serialization failure (the chaos tier scripts them as redshift-data run failures)', async () => {
  const date = '2024-05-05';
  await putParquet(date, 7);
  await t.emulator.admin.setDuration({ service: 'redshift-data', name: '*', ms: 0 });
  await t.emulator.admin.failNextRuns({
    service: 'redshift-data',
    name: '*',
    count: 2,
    message: 'ERROR: 1023 DETAIL: Serializable isolation violation on table - 100, scripted',
  });
  const result = await harness().run(runRedshiftStage, stageInput(date));
  expect(result.details).toMatchObject({ transientFailures: 2 });
  expect(await query(`SELECT COUNT(*) FROM analytics.fact_sales WHERE dt = DATE '${date}'`)).toEqual([[9]]);
  expect(
    await query(`SELECT COUNT(*) FROM analytics.medallion_load_ledger WHERE logical_date = DATE '${date}'`),
  ).toEqual([[1]]);
});

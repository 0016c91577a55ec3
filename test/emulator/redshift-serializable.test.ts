/**
 * The emulated Redshift runs statements concurrently under serializable isolation, table by table.
 *
 * AWS, Serializable isolation (https://docs.aws.amazon.com/redshift/latest/dg/c_serial_isolation.html):
 * concurrent transactions are invisible to each other; if no serial order of them explains the result,
 * one is aborted with "ERROR: 1023 DETAIL: Serializable isolation violation on table - <id>,
 * transactions forming the cycle are: ...". Write and read/write operations
 * (https://docs.aws.amazon.com/redshift/latest/dg/c_write_readwrite.html): concurrent COPY/INSERT into
 * one table wait for the write lock and then proceed.
 */
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  type DescribeStatementResponse,
  ExecuteStatementCommand,
  GetStatementResultCommand,
} from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableAccess } from '../../emulator/services/redshift-data/table-access';
import { LAKE, type TestEmulator, startTestEmulator, waitFor } from '../support/emulator-fixture';

const target = { WorkgroupName: 'medallion', Database: 'shop' };
let t: TestEmulator;

beforeAll(async () => {
  t = await startTestEmulator({
    s3: { buckets: [LAKE] },
    redshift: { workgroups: [{ name: 'medallion', databases: ['shop'] }] },
  });
  await run(['CREATE TABLE ledger (k VARCHAR, n INTEGER)', 'CREATE TABLE facts (k VARCHAR, v INTEGER)']);
});
afterAll(() => t.close());

async function submit(sqls: string[], name: string, ms: number): Promise<string> {
  await t.emulator.admin.setDuration({ service: 'redshift-data', name, ms });
  const { Id } = await t.clients.redshift.send(
    new BatchExecuteStatementCommand({ ...target, StatementName: name, Sqls: sqls }),
  );
  return Id!;
}
const describeStatement = (Id: string) => t.clients.redshift.send(new DescribeStatementCommand({ Id }));
const untilDone = (Id: string) =>
  waitFor(
    () => describeStatement(Id),
    (d: DescribeStatementResponse) => ['FINISHED', 'FAILED', 'ABORTED'].includes(d.Status!),
  );
async function run(sqls: string[]): Promise<DescribeStatementResponse> {
  return untilDone(await submit(sqls, `run-${Math.random()}`, 0));
}
async function rows(sql: string): Promise<unknown[][]> {
  const { Id } = await t.clients.redshift.send(new ExecuteStatementCommand({ ...target, Sql: sql }));
  await untilDone(Id!);
  const result = await t.clients.redshift.send(new GetStatementResultCommand({ Id }));
  return (result.Records ?? []).map((record) => record.map((f) => f.stringValue ?? f.longValue ?? null));
}
/** The ledger pattern of every load and merge: read the ledger, then write it. */
const ledgerLoad = (key: string) => [
  `INSERT INTO facts SELECT '${key}', 1 WHERE NOT EXISTS (SELECT 1 FROM ledger WHERE k = '${key}')`,
  `INSERT INTO ledger SELECT '${key}', 1 WHERE NOT EXISTS (SELECT 1 FROM ledger WHERE k = '${key}')`,
];

describe('Redshift Data on the emulator: concurrent transactions, serializable isolation', () => {
  it('runs statements of one database concurrently: none waits for another open transaction', async () => {
    const slow = await submit(['SELECT 1'], 'slow-reader', 1_500);
    await waitFor(
      () => describeStatement(slow),
      (d) => d.Status === 'STARTED',
    );
    const quick = await untilDone(await submit(['SELECT 2'], 'quick-reader', 0));
    expect(quick.Status).toBe('FINISHED');
    expect((await describeStatement(slow)).Status).toBe('STARTED');
    expect((await untilDone(slow)).Status).toBe('FINISHED');
  });

  it('aborts the later committer with ERROR: 1023 when two concurrent transactions read and write one table', async () => {
    const first = await submit(ledgerLoad('a'), 'ledger-a', 1_200);
    await waitFor(
      () => describeStatement(first),
      (d) => d.Status === 'STARTED' && d.SubStatements?.[1]?.Status === 'FINISHED',
    );
    const second = await submit(ledgerLoad('b'), 'ledger-b', 0);
    const [a, b] = [await untilDone(first), await untilDone(second)];
    // b committed first (a holds its transaction open longer): a closes the cycle and is aborted.
    expect(b.Status).toBe('FINISHED');
    expect(a.Status).toBe('FAILED');
    expect(a.Error).toMatch(
      /^ERROR: 1023 DETAIL: Serializable isolation violation on table - public\.ledger, transactions forming the cycle are: \d+, \d+$/,
    );
    expect(a.SubStatements?.at(-1)?.Status).toBe('FAILED');
    // Rolled back: only b's rows exist. Run again as a NEW transaction, a succeeds exactly once.
    expect(await rows(`SELECT k FROM ledger WHERE k IN ('a','b') ORDER BY k`)).toEqual([['b']]);
    expect((await run(ledgerLoad('a'))).Status).toBe('FINISHED');
    expect((await run(ledgerLoad('a'))).Status).toBe('FINISHED');
    expect(await rows(`SELECT k, count(*) FROM facts WHERE k IN ('a','b') GROUP BY k ORDER BY k`)).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('lets concurrent writers that do not read the table both commit (the write lock orders them)', async () => {
    const first = await submit([`INSERT INTO facts VALUES ('w1', 1)`], 'writer-1', 800);
    await waitFor(
      () => describeStatement(first),
      (d) => d.Status === 'STARTED',
    );
    const second = await submit([`INSERT INTO facts VALUES ('w2', 2)`], 'writer-2', 0);
    expect((await untilDone(second)).Status).toBe('FINISHED');
    expect((await untilDone(first)).Status).toBe('FINISHED');
  });

  it('does not conflict when one transaction starts after the other committed', async () => {
    expect((await run(ledgerLoad('c'))).Status).toBe('FINISHED');
    expect((await run(ledgerLoad('d'))).Status).toBe('FINISHED');
  });

  it('lets a read-only transaction overlap a writer', async () => {
    const writer = await submit(ledgerLoad('e'), 'writer-e', 800);
    await waitFor(
      () => describeStatement(writer),
      (d) => d.Status === 'STARTED',
    );
    expect((await run(['SELECT count(*) FROM ledger'])).Status).toBe('FINISHED');
    expect((await untilDone(writer)).Status).toBe('FINISHED');
  });
});

describe('table access of a statement', () => {
  it('knows what the generated SQL reads and writes, leaving temp tables out', () => {
    const temp = new Set<string>();
    const create = tableAccess('CREATE TEMP TABLE "_md_stg" (a INT)', temp);
    expect([...create.createsTemp]).toEqual(['_md_stg']);
    for (const name of create.createsTemp) temp.add(name);
    const del = tableAccess(
      'DELETE FROM "analytics"."fact" WHERE dt = 1 AND NOT EXISTS (SELECT 1 FROM "analytics"."medallion_load_ledger")',
      temp,
    );
    expect([...del.writes]).toEqual(['analytics.fact']);
    expect([...del.reads].sort()).toEqual(['analytics.fact', 'analytics.medallion_load_ledger']);
    const insert = tableAccess('INSERT INTO "analytics"."fact" SELECT * FROM "_md_stg"', temp);
    expect([...insert.writes]).toEqual(['analytics.fact']);
    expect([...insert.reads]).toEqual([]);
    expect(tableAccess('CREATE TABLE IF NOT EXISTS "analytics"."fact" (a INT)', temp).writes.size).toBe(0);
    expect([...tableAccess('DROP TABLE "_md_stg"', temp).writes]).toEqual([]);
    expect([...tableAccess('UPDATE dim SET a = s.a FROM "_md_stg" s', temp).writes]).toEqual(['public.dim']);
  });
});

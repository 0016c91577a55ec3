import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  type DescribeStatementResponse,
  ExecuteStatementCommand,
  type ExecuteStatementCommandInput,
  GetStatementResultCommand,
  ListStatementsCommand,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAKE, type TestEmulator, startTestEmulator, waitFor } from '../support/emulator-fixture';

const WORKGROUP = 'medallion';
const DATABASE = 'shop';
let t: TestEmulator;

beforeAll(async () => {
  t = await startTestEmulator({
    s3: { buckets: [LAKE] },
    redshift: { workgroups: [{ name: WORKGROUP, databases: [DATABASE] }], resultPageRows: 4 },
  });
});
afterAll(() => t.close());

const target = { WorkgroupName: WORKGROUP, Database: DATABASE };
const execute = (Sql: string, extra: Partial<ExecuteStatementCommandInput> = {}) =>
  t.clients.redshift.send(new ExecuteStatementCommand({ ...target, Sql, ...extra }));
const describeStatement = (Id: string) => t.clients.redshift.send(new DescribeStatementCommand({ Id }));
const untilDone = (Id: string) =>
  waitFor(
    () => describeStatement(Id),
    (d: DescribeStatementResponse) => ['FINISHED', 'FAILED', 'ABORTED'].includes(d.Status!),
  );
async function run(sql: string): Promise<DescribeStatementResponse> {
  const { Id } = await execute(sql);
  return untilDone(Id!);
}

describe('Redshift Data: statements', () => {
  it('runs a statement asynchronously to FINISHED and returns typed records and column metadata', async () => {
    await t.emulator.admin.setDuration({ service: 'redshift-data', name: 'typed', ms: 300 });
    const { Id, CreatedAt, WorkgroupName, Database } = await execute(
      `SELECT 1::INTEGER AS i, 9007199254740993::BIGINT AS big, 2.5::DOUBLE AS d, 12.34::DECIMAL(10,2) AS amount,
              'text' AS s, TRUE AS b, NULL::VARCHAR AS n, DATE '2024-01-02' AS day, TIMESTAMP '2024-01-02 03:04:05' AS ts`,
      { StatementName: 'typed' },
    );
    expect(CreatedAt).toBeInstanceOf(Date);
    expect([WorkgroupName, Database]).toEqual([WORKGROUP, DATABASE]);
    expect(['SUBMITTED', 'PICKED', 'STARTED']).toContain((await describeStatement(Id!)).Status);
    const done = await untilDone(Id!);
    expect(done).toMatchObject({ Status: 'FINISHED', HasResultSet: true, ResultRows: 1 });
    expect(done.Duration).toBeGreaterThan(0);
    const result = await t.clients.redshift.send(new GetStatementResultCommand({ Id }));
    expect(result.Records).toEqual([
      [
        { longValue: 1 },
        { stringValue: '9007199254740993' },
        { doubleValue: 2.5 },
        { stringValue: '12.34' },
        { stringValue: 'text' },
        { booleanValue: true },
        { isNull: true },
        { stringValue: '2024-01-02' },
        { stringValue: '2024-01-02 03:04:05' },
      ],
    ]);
    expect(result.ColumnMetadata?.map((c) => [c.name, c.typeName])).toEqual([
      ['i', 'int4'],
      ['big', 'int8'],
      ['d', 'float8'],
      ['amount', 'numeric'],
      ['s', 'varchar'],
      ['b', 'bool'],
      ['n', 'varchar'],
      ['day', 'date'],
      ['ts', 'timestamp'],
    ]);
    expect(result.ColumnMetadata?.[3]).toMatchObject({ precision: 10, scale: 2 });
    expect(result.TotalNumRows).toBe(1);
  });

  it('pages GetStatementResult with NextToken', async () => {
    const { Id } = await execute('SELECT range AS n FROM range(10) ORDER BY n');
    await untilDone(Id!);
    const values: number[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await t.clients.redshift.send(new GetStatementResultCommand({ Id, NextToken }));
      values.push(...page.Records!.map((r) => r[0]!.longValue!));
      expect(page.TotalNumRows).toBe(10);
      NextToken = page.NextToken;
      pages += 1;
    } while (NextToken);
    expect(pages).toBe(3);
    expect(values).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('reports a failing statement as FAILED with the database error', async () => {
    const done = await run('SELECT * FROM no_such_table');
    expect(done.Status).toBe('FAILED');
    expect(done.Error).toMatch(/^ERROR: .*no_such_table/);
    await expect(
      t.clients.redshift.send(new GetStatementResultCommand({ Id: done.Id })),
    ).rejects.toBeInstanceOf(ValidationException);
  });

  it('fails a statement on a database the workgroup does not have', async () => {
    const { Id } = await execute('SELECT 1', { Database: 'other' });
    expect(await untilDone(Id!)).toMatchObject({
      Status: 'FAILED',
      Error: 'FATAL: database "other" does not exist',
    });
  });

  it('rewrites s3:// literals to the lake, so COPY-style loads read objects written through S3', async () => {
    const file = join(t.dataDir, 'load.parquet');
    expect((await run(`COPY (SELECT i AS id FROM range(3) t(i)) TO '${file}' (FORMAT parquet)`)).Status).toBe(
      'FINISHED',
    );
    await t.clients.s3.send(
      new PutObjectCommand({
        Bucket: LAKE,
        Key: 'gold/facts/dt=2024-01-02/part-0.parquet',
        Body: await readFile(file),
      }),
    );
    const loaded = await run(
      `CREATE TABLE facts AS SELECT * FROM read_parquet('s3://${LAKE}/gold/facts/dt=2024-01-02/*.parquet')`,
    );
    expect(loaded.Status).toBe('FINISHED');
    const count = await execute('SELECT count(*) FROM facts');
    await untilDone(count.Id!);
    expect((await t.clients.redshift.send(new GetStatementResultCommand({ Id: count.Id }))).Records).toEqual([
      [{ longValue: 3 }],
    ]);
  });

  it('writes to s3:// paths: COPY ... TO lands an object S3 can read, folders created on the way', async () => {
    const done = await run(
      `COPY (SELECT 5 AS five) TO 's3://${LAKE}/exports/2024/01/five.parquet' (FORMAT parquet)`,
    );
    expect(done.Status).toBe('FINISHED');
    const head = await t.clients.s3.send(
      new HeadObjectCommand({ Bucket: LAKE, Key: 'exports/2024/01/five.parquet' }),
    );
    expect(head.ContentLength).toBeGreaterThan(0);
  });

  it('binds named parameters as literals', async () => {
    const { Id } = await execute('SELECT :name AS greeting, :n::INTEGER + 1 AS next', {
      Parameters: [
        { name: 'name', value: "it's" },
        { name: 'n', value: '41' },
      ],
    });
    await untilDone(Id!);
    expect((await t.clients.redshift.send(new GetStatementResultCommand({ Id }))).Records).toEqual([
      [{ stringValue: "it's" }, { longValue: 42 }],
    ]);
    await expect(
      execute('SELECT :missing', { Parameters: [{ name: 'other', value: '1' }] }),
    ).rejects.toBeInstanceOf(ValidationException);
  });

  it('is idempotent on ClientToken', async () => {
    const first = await execute('SELECT 1', { ClientToken: 'token-1' });
    const second = await execute('SELECT 1', { ClientToken: 'token-1' });
    expect(second.Id).toBe(first.Id);
  });

  it('validates the target: one of WorkgroupName / ClusterIdentifier; unknown ones are ResourceNotFoundException', async () => {
    await expect(
      t.clients.redshift.send(new ExecuteStatementCommand({ Database: DATABASE, Sql: 'SELECT 1' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Either ClusterIdentifier or WorkgroupName needs to be specified.',
    });
    await expect(execute('SELECT 1', { ClusterIdentifier: 'c1' })).rejects.toBeInstanceOf(
      ValidationException,
    );
    await expect(execute('SELECT 1', { WorkgroupName: 'nope' })).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(describeStatement('6a6c5b0e-1111-4222-8333-944455556666')).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(describeStatement('not-a-uuid')).rejects.toBeInstanceOf(ValidationException);
  });

  it('injects a scripted ExecuteStatementException', async () => {
    await t.emulator.admin.failNextCalls({
      operation: 'redshift-data:ExecuteStatement',
      code: 'ExecuteStatementException',
      message: 'connection reset',
    });
    await expect(execute('SELECT 1')).rejects.toMatchObject({
      name: 'ExecuteStatementException',
      message: 'connection reset',
    });
  });
});

describe('Redshift Data: batches are one transaction', () => {
  it('commits every sub-statement together and describes them as SubStatements', async () => {
    const { Id } = await t.clients.redshift.send(
      new BatchExecuteStatementCommand({
        ...target,
        StatementName: 'load-dim',
        Sqls: [
          'CREATE TABLE dim (k INTEGER, v VARCHAR)',
          "INSERT INTO dim VALUES (1, 'a'), (2, 'b')",
          'SELECT count(*) AS c FROM dim',
        ],
      }),
    );
    const done = await untilDone(Id!);
    expect(done).toMatchObject({ Status: 'FINISHED', HasResultSet: true });
    expect(done.SubStatements?.map((s) => [s.Id, s.Status, s.ResultRows, s.HasResultSet])).toEqual([
      [`${Id}:1`, 'FINISHED', 0, false],
      [`${Id}:2`, 'FINISHED', 2, false],
      [`${Id}:3`, 'FINISHED', 1, true],
    ]);
    expect((await t.clients.redshift.send(new GetStatementResultCommand({ Id: `${Id}:3` }))).Records).toEqual(
      [[{ longValue: 2 }]],
    );
    await expect(t.clients.redshift.send(new GetStatementResultCommand({ Id }))).rejects.toBeInstanceOf(
      ValidationException,
    );
  });

  // DROP TABLE name [, ...] (https://docs.aws.amazon.com/redshift/latest/dg/r_DROP_TABLE.html), as the
  // SCD2 merge drops its temp tables.
  it('drops several tables in one DROP TABLE, as Redshift does', async () => {
    const { Id } = await t.clients.redshift.send(
      new BatchExecuteStatementCommand({
        ...target,
        Sqls: [
          'CREATE TEMP TABLE drop_a (k INTEGER)',
          'CREATE TEMP TABLE drop_b (k INTEGER)',
          'DROP TABLE "drop_a", drop_b',
          'CREATE TEMP TABLE drop_a (k INTEGER)',
        ],
      }),
    );
    expect(await untilDone(Id!)).toMatchObject({ Status: 'FINISHED' });
  });

  it('rolls everything back when one sub-statement fails: FAILED, the failing one FAILED, later ones ABORTED', async () => {
    const { Id } = await t.clients.redshift.send(
      new BatchExecuteStatementCommand({
        ...target,
        Sqls: [
          "INSERT INTO dim VALUES (3, 'c')",
          'CREATE TABLE half_done (x INTEGER)',
          'INSERT INTO missing_table VALUES (1)',
          'SELECT 1',
        ],
      }),
    );
    const done = await untilDone(Id!);
    expect(done.Status).toBe('FAILED');
    expect(done.Error).toMatch(/missing_table/);
    expect(done.SubStatements?.map((s) => s.Status)).toEqual(['FINISHED', 'FINISHED', 'FAILED', 'ABORTED']);
    const count = await execute('SELECT count(*) FROM dim');
    await untilDone(count.Id!);
    expect((await t.clients.redshift.send(new GetStatementResultCommand({ Id: count.Id }))).Records).toEqual([
      [{ longValue: 2 }],
    ]);
    expect((await run('SELECT * FROM half_done')).Status).toBe('FAILED');
  });

  it('cancels a statement during its scripted duration: ABORTED and rolled back', async () => {
    await t.emulator.admin.setDuration({ service: 'redshift-data', name: 'slow-merge', ms: 5_000 });
    const { Id } = await t.clients.redshift.send(
      new BatchExecuteStatementCommand({
        ...target,
        StatementName: 'slow-merge',
        Sqls: ["INSERT INTO dim VALUES (9, 'z')"],
      }),
    );
    await waitFor(
      () => describeStatement(Id!),
      (d) => d.Status === 'STARTED' && d.SubStatements?.[0]?.Status === 'FINISHED',
    );
    expect((await t.clients.redshift.send(new CancelStatementCommand({ Id }))).Status).toBe(true);
    expect((await untilDone(Id!)).Status).toBe('ABORTED');
    const count = await execute('SELECT count(*) FROM dim WHERE k = 9');
    await untilDone(count.Id!);
    expect((await t.clients.redshift.send(new GetStatementResultCommand({ Id: count.Id }))).Records).toEqual([
      [{ longValue: 0 }],
    ]);
    await expect(t.clients.redshift.send(new CancelStatementCommand({ Id }))).rejects.toBeInstanceOf(
      ValidationException,
    );
  });

  it('lists statements by name prefix; the default Status filter is FINISHED', async () => {
    await t.clients.redshift.send(
      new BatchExecuteStatementCommand({ ...target, StatementName: 'md-run-a', Sqls: ['SELECT 1'] }),
    );
    const failing = await execute('SELECT * FROM nowhere', { StatementName: 'md-run-b' });
    await untilDone(failing.Id!);
    await waitFor(
      () => t.clients.redshift.send(new ListStatementsCommand({ StatementName: 'md-run-', Status: 'ALL' })),
      (r) => r.Statements!.every((s) => ['FINISHED', 'FAILED'].includes(s.Status!)),
    );
    const all = await t.clients.redshift.send(
      new ListStatementsCommand({ StatementName: 'md-run-', Status: 'ALL' }),
    );
    expect(all.Statements?.map((s) => [s.StatementName, s.Status, s.IsBatchStatement])).toEqual([
      ['md-run-b', 'FAILED', false],
      ['md-run-a', 'FINISHED', true],
    ]);
    expect(all.Statements?.[1]?.QueryStrings).toEqual(['SELECT 1']);
    const finished = await t.clients.redshift.send(new ListStatementsCommand({ StatementName: 'md-run-' }));
    expect(finished.Statements?.map((s) => s.StatementName)).toEqual(['md-run-a']);
    const paged = await t.clients.redshift.send(new ListStatementsCommand({ Status: 'ALL', MaxResults: 2 }));
    expect(paged.Statements).toHaveLength(2);
    expect(paged.NextToken).toBeDefined();
  });
});

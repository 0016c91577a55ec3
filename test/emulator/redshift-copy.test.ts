/**
 * COPY ... FORMAT AS PARQUET on the emulator, as harsh as Redshift, and the load activity's defence.
 *
 * AWS, COPY from columnar data formats
 * (https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-columnar.html): values go
 * into the target's columns "in the same order as the columns occur in the columnar data files"; the
 * column counts must match; only ACCEPTINVCHARS, FILLRECORD, FROM, IAM_ROLE, CREDENTIALS, STATUPDATE,
 * MANIFEST and EXPLICIT_IDS are supported. A prefix loads every object whose key starts with it; a
 * manifest names exact files, and for Parquet each entry needs meta.content_length
 * (https://docs.aws.amazon.com/redshift/latest/dg/loading-data-files-using-manifest.html). VARCHAR(n)
 * counts bytes (https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  type DescribeStatementResponse,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
} from '@aws-sdk/client-redshift-data';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedshiftDataActivities } from '../../activities/redshift-data';
import { FailureType } from '../../core/errors';
import type { RedshiftStageInput } from '../../core/stage-io';
import { warehouseSql } from '../../core/warehouse-statements';
import { type FactLoadSpecInput, parseFactLoadSpec } from '../../core/warehouse-spec';
import { expectFailure, FAST_POLL, harness, identity } from '../support/activity-harness';
import { LAKE, type TestEmulator, startTestEmulator, waitFor } from '../support/emulator-fixture';

const target = { WorkgroupName: 'medallion', Database: 'shop' };
const ROLE = 'arn:aws:iam::123456789012:role/medallion-redshift-copy';
let t: TestEmulator;
let duck: DuckDBInstance;
let local: DuckDBConnection;
let scratch: string;
let files = 0;

beforeAll(async () => {
  t = await startTestEmulator({
    s3: { buckets: [LAKE] },
    redshift: { workgroups: [{ name: 'medallion', databases: ['shop'] }] },
  });
  duck = await DuckDBInstance.create(':memory:');
  local = await duck.connect();
  scratch = await mkdtemp(join(tmpdir(), 'medallion-copy-'));
});
afterAll(async () => {
  local.closeSync();
  duck.closeSync();
  await t.close();
  await rm(scratch, { recursive: true, force: true });
});

/** Writes the SELECT's rows as a Parquet object; returns its size in bytes. */
async function putParquet(key: string, select: string): Promise<number> {
  const file = join(scratch, `${(files += 1)}.parquet`);
  await local.run(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
  const body = await readFile(file);
  await t.clients.s3.send(new PutObjectCommand({ Bucket: LAKE, Key: key, Body: body }));
  return body.length;
}
const put = (key: string, body: string) =>
  t.clients.s3.send(new PutObjectCommand({ Bucket: LAKE, Key: key, Body: body }));

async function batch(sqls: string[]): Promise<DescribeStatementResponse> {
  const { Id } = await t.clients.redshift.send(new BatchExecuteStatementCommand({ ...target, Sqls: sqls }));
  return waitFor(
    () => t.clients.redshift.send(new DescribeStatementCommand({ Id })),
    (d) => ['FINISHED', 'FAILED', 'ABORTED'].includes(d.Status!),
  );
}
async function rows(sql: string): Promise<unknown[][]> {
  const { Id } = await t.clients.redshift.send(new ExecuteStatementCommand({ ...target, Sql: sql }));
  await waitFor(
    () => t.clients.redshift.send(new DescribeStatementCommand({ Id })),
    (d) => d.Status === 'FINISHED',
  );
  const result = await t.clients.redshift.send(new GetStatementResultCommand({ Id }));
  return (result.Records ?? []).map((r) => r.map((f) => f.stringValue ?? f.longValue ?? null));
}
const copy = (table: string, from: string, extra = '') =>
  `COPY ${table} FROM '${from}' IAM_ROLE '${ROLE}' FORMAT AS PARQUET${extra}`;

describe('COPY ... FORMAT AS PARQUET on the emulator', () => {
  it('maps columns by position, not by name: swapped VARCHAR columns load swapped, silently', async () => {
    await putParquet('swap/dt=1/part-00000.parquet', `SELECT 'Berlin' AS city, 'Ada' AS name`);
    const done = await batch([
      'CREATE TEMP TABLE stg (name VARCHAR(100), city VARCHAR(100))',
      copy('stg', `s3://${LAKE}/swap/dt=1/part-00000.parquet`),
      'CREATE TABLE swapped AS SELECT * FROM stg',
    ]);
    expect(done.Status).toBe('FINISHED');
    expect(await rows('SELECT name, city FROM swapped')).toEqual([['Berlin', 'Ada']]);
  });

  it('reads every object under a prefix: Spark’s _SUCCESS marker fails the load', async () => {
    await putParquet('spark/dt=1/part-00000.parquet', `SELECT 1::BIGINT AS id`);
    await put('spark/dt=1/_SUCCESS', '');
    const done = await batch(['CREATE TEMP TABLE stg (id BIGINT)', copy('stg', `s3://${LAKE}/spark/dt=1/`)]);
    expect(done.Status).toBe('FAILED');
    expect(done.Error).toMatch(/_SUCCESS' is not a Parquet file/);
  });

  it('loads exactly the files a manifest names; content_length is required and must match', async () => {
    const size = await putParquet('man/dt=1/part-00000.parquet', `SELECT * FROM range(3) r(id)`);
    await putParquet('man/dt=1/part-00001.parquet', `SELECT * FROM range(10, 12) r(id)`);
    await put('man/dt=1/_SUCCESS', '');
    const url = `s3://${LAKE}/man/dt=1/part-00000.parquet`;
    await put(
      'man/good.manifest',
      JSON.stringify({ entries: [{ url, mandatory: true, meta: { content_length: size } }] }),
    );
    const good = await batch([
      'CREATE TEMP TABLE stg (id BIGINT)',
      copy('stg', `s3://${LAKE}/man/good.manifest`, ' MANIFEST'),
      'CREATE TABLE from_manifest AS SELECT * FROM stg',
    ]);
    expect(good.Status).toBe('FINISHED');
    expect(good.SubStatements?.[1]?.ResultRows).toBe(3);
    expect(await rows('SELECT count(*) FROM from_manifest')).toEqual([[3]]);

    const cases: [unknown, RegExp][] = [
      [{ entries: [{ url, mandatory: true }] }, /has no meta.content_length/],
      [
        { entries: [{ url, mandatory: true, meta: { content_length: size + 1 } }] },
        /content_length \d+ but the object has/,
      ],
      [
        {
          entries: [
            { url: `s3://${LAKE}/man/dt=1/gone.parquet`, mandatory: true, meta: { content_length: 1 } },
          ],
        },
        /mandatory but was not found/,
      ],
    ];
    for (const [document, error] of cases) {
      await put('man/bad.manifest', JSON.stringify(document));
      const bad = await batch([
        'CREATE TEMP TABLE stg (id BIGINT)',
        copy('stg', `s3://${LAKE}/man/bad.manifest`, ' MANIFEST'),
      ]);
      expect(bad.Status).toBe('FAILED');
      expect(bad.Error).toMatch(error);
    }
  });

  it('fails when the column counts differ or a Parquet type does not fit the column', async () => {
    await putParquet('shape/a.parquet', `SELECT 1::BIGINT AS id, 'x' AS label`);
    const count = await batch([
      'CREATE TEMP TABLE stg (id BIGINT)',
      copy('stg', `s3://${LAKE}/shape/a.parquet`),
    ]);
    expect(count.Error).toMatch(/has 2 columns, the COPY loads 1 .*counts must match/);
    await putParquet('shape/b.parquet', `SELECT TIMESTAMP '2024-01-01 00:00:00' AS id`);
    const type = await batch([
      'CREATE TEMP TABLE stg (id BIGINT)',
      copy('stg', `s3://${LAKE}/shape/b.parquet`),
    ]);
    expect(type.Error).toMatch(/incompatible Parquet schema for column 1 "id".*BIGINT.*INT64 TIMESTAMP/);
  });

  it('refuses parameters columnar COPY does not take, TRUNCATECOLUMNS among them', async () => {
    await putParquet('params/a.parquet', `SELECT 'x' AS v`);
    const done = await batch([
      'CREATE TEMP TABLE stg (v VARCHAR(10))',
      copy('stg', `s3://${LAKE}/params/a.parquet`, ' TRUNCATECOLUMNS'),
    ]);
    expect(done.Error).toBe('ERROR: TRUNCATECOLUMNS argument is not supported for PARQUET based COPY');
  });

  it('counts VARCHAR(n) in bytes: three umlauts (6 bytes) fail VARCHAR(4), fit VARCHAR(6)', async () => {
    await putParquet('bytes/a.parquet', `SELECT 'äöü' AS v`);
    const tooLong = await batch([
      'CREATE TEMP TABLE stg (v VARCHAR(4))',
      copy('stg', `s3://${LAKE}/bytes/a.parquet`),
    ]);
    expect(tooLong.Status).toBe('FAILED');
    expect(tooLong.Error).toMatch(/column 1 "v" is 6 bytes, longer than VARCHAR\(4\)/);
    const fits = await batch([
      'CREATE TEMP TABLE stg (v VARCHAR(6))',
      copy('stg', `s3://${LAKE}/bytes/a.parquet`),
    ]);
    expect(fits.Status).toBe('FINISHED');
  });
});

describe('the load activity checks the files and writes the manifest before COPY', () => {
  const fact: FactLoadSpecInput = {
    table: 'fact_people',
    schema: 'analytics',
    columns: [
      { name: 'person_id', type: 'bigint' },
      { name: 'first_name', type: 'varchar(3)' },
      { name: 'city', type: 'varchar' },
    ],
    partitionColumn: 'dt',
  };
  function stage(date: string): RedshiftStageInput {
    const id = identity('load_fact_people', 0, date);
    const sourceUri = `s3://${LAKE}/gold/fact_people/dt=${date}/`;
    const manifestUri = `s3://${LAKE}/_medallion/copy-manifests/shop/${date}/load_fact_people/${id.runKey}.manifest`;
    const spec = parseFactLoadSpec(fact);
    const load = {
      logicalDate: date,
      batchId: id.runKey,
      sourceUri,
      manifestUri,
      dialect: 'redshift' as const,
      copyRoleArn: ROLE,
    };
    return {
      kind: 'redshift',
      identity: id,
      poll: FAST_POLL,
      target: { database: 'shop', workgroupName: 'medallion' },
      sqls: warehouseSql.factLoadStatements(spec, load),
      ledgerLookup: warehouseSql.ledgerLookup(spec, load),
      copies: [{ sourceUri, manifestUri, columns: spec.columns.map(({ name, type }) => ({ name, type })) }],
    };
  }
  const activities = () =>
    createRedshiftDataActivities({ redshiftData: t.clients.redshift, s3: t.clients.s3 });

  it('loads multibyte names of varchar(3) (up to 12 bytes) from the part files, _SUCCESS left out', async () => {
    const size = await putParquet(
      'gold/fact_people/dt=2024-05-01/part-00000.parquet',
      `SELECT * FROM (VALUES (1::BIGINT, 'Zoë', 'Köln'), (2::BIGINT, '李小龍', '香港')) v(person_id, first_name, city)`,
    );
    await put('gold/fact_people/dt=2024-05-01/_SUCCESS', '');
    const input = stage('2024-05-01');
    const result = await harness().run(activities().runRedshiftStage, input);
    expect(result.details).toMatchObject({ copiedParts: 1, skippedObjects: 1 });
    const manifest = await t.clients.s3.send(
      new GetObjectCommand({
        Bucket: LAKE,
        Key: input.copies![0]!.manifestUri.slice(`s3://${LAKE}/`.length),
      }),
    );
    expect(JSON.parse(await manifest.Body!.transformToString())).toEqual({
      entries: [
        {
          url: `s3://${LAKE}/gold/fact_people/dt=2024-05-01/part-00000.parquet`,
          mandatory: true,
          meta: { content_length: size },
        },
      ],
    });
    expect(await rows('SELECT first_name, city FROM analytics.fact_people ORDER BY person_id')).toEqual([
      ['Zoë', 'Köln'],
      ['李小龍', '香港'],
    ]);
  });

  it('fails before any statement, naming the column and position, when the job wrote columns out of order', async () => {
    await putParquet(
      'gold/fact_people/dt=2024-05-02/part-00000.parquet',
      `SELECT 1::BIGINT AS person_id, 'Köln' AS city, 'Zoë' AS first_name`,
    );
    const input = stage('2024-05-02');
    await expectFailure(harness().run(activities().runRedshiftStage, input), {
      type: FailureType.InvalidConfig,
      nonRetryable: true,
      messageIncludes: [
        'part-00000.parquet column 2 is "city" (BYTE_ARRAY UTF8) where the staging table\'s column 2 is "first_name" varchar(3)',
        'maps columns by position',
        'person_id, first_name, city',
      ],
    });
    const started = await t.clients.redshift.send(
      new ListStatementsCommand({ StatementName: input.identity.runKey, Status: 'ALL' }),
    );
    expect(started.Statements).toEqual([]);
  });

  it('fails clearly when the prefix holds no part file', async () => {
    await put('gold/fact_people/dt=2024-05-03/_SUCCESS', '');
    await expectFailure(harness().run(activities().runRedshiftStage, stage('2024-05-03')), {
      type: FailureType.AwsJobFailed,
      nonRetryable: true,
      messageIncludes: ['no Parquet part files under', '(only _SUCCESS)'],
    });
  });
});

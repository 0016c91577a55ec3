import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobManifest } from '../../core/job-manifest';
import { runJobManifest } from '../../emulator/jobs/run-manifest';
import { filesWithBytes, parquetColumns, queryRows, readParquetFile } from '../support/lake/read-parquet';
import { createTempLake, type TempLake } from '../support/lake/temp-lake';
import { writeParquet } from '../support/lake/write-parquet';

let lake: TempLake;
beforeEach(async () => {
  lake = await createTempLake('medallion-runner-');
  // Two partitions of an events table; the second file has an extra column (union_by_name).
  await writeParquet(
    lake.resolve('s3://lake/silver/events/dt=2025-03-29/part-00000.parquet'),
    `SELECT * FROM (VALUES (1::BIGINT, 'a', 5), (2, 'b', -1), (3, NULL, 7)) AS t(id, label, amount)`,
  );
  await writeParquet(
    lake.resolve('s3://lake/silver/events/dt=2025-03-30/part-00000.parquet'),
    `SELECT * FROM (VALUES (4::BIGINT, 'd', 2, 'late'), (5, 'e', NULL, NULL)) AS t(id, label, amount, note)`,
  );
});
afterEach(async () => {
  await lake.remove();
});

function manifest(overrides: Partial<JobManifest> = {}): JobManifest {
  return {
    pipeline: 'test',
    stageId: 'events_job',
    logicalDate: '2025-03-30',
    inputs: [{ name: 'events', uri: 's3://lake/silver/events/' }],
    sql: `SELECT id, label, amount, note, dt FROM events WHERE dt <= DATE '\${logical_date}' ORDER BY id`,
    outputUri: 's3://lake/gold/out/dt=2025-03-30/',
    quarantineUri: 's3://lake/quarantine/events_job/dt=2025-03-30/',
    metricsUri: 's3://lake/_medallion/metrics/test/2025-03-30/events_job.json',
    ...overrides,
  };
}

const outputRows = () => readParquetFile(lake.resolve('s3://lake/gold/out/dt=2025-03-30/part-00000.parquet'));
const quarantineRows = () =>
  readParquetFile(lake.resolve('s3://lake/quarantine/events_job/dt=2025-03-30/part-00000.parquet'));

describe('runJobManifest (DuckDB)', () => {
  it('registers inputs as views over all partitions with hive columns and union by name', async () => {
    const metrics = await runJobManifest(manifest(), lake.resolve);
    expect(metrics).toEqual({ rowsIn: 5, rowsOut: 5, quarantined: 0 });
    const rows = await outputRows();
    expect(rows.map((row) => row.id)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[3]).toEqual({ id: 4, label: 'd', amount: 2, note: 'late', dt: '2025-03-30T00:00:00.000Z' });
    expect(rows[0]!.note).toBeNull();
  });

  it('substitutes ${logical_date} before running', async () => {
    await runJobManifest(manifest({ logicalDate: '2025-03-29' }), lake.resolve);
    expect((await outputRows()).map((row) => row.id)).toEqual([1, 2, 3]);
  });

  it('splits rows by quarantineWhen: NULL counts as false, the predicate text is the reason', async () => {
    const metrics = await runJobManifest(
      manifest({ quarantineWhen: 'amount < 0 OR label IS NULL' }),
      lake.resolve,
    );
    expect(metrics).toEqual({ rowsIn: 5, rowsOut: 3, quarantined: 2 });
    expect((await outputRows()).map((row) => row.id)).toEqual([1, 4, 5]);
    const rejected = await quarantineRows();
    expect(rejected.map((row) => [row.id, row._quarantine_reason])).toEqual([
      [2, 'amount < 0 OR label IS NULL'],
      [3, 'amount < 0 OR label IS NULL'],
    ]);
  });

  it('takes a _quarantine_reason column as the per-row reason and drops it from the output', async () => {
    const sql = `SELECT id, amount, CASE WHEN amount < 0 THEN 'negative amount' WHEN amount IS NULL THEN 'no amount' END AS _quarantine_reason FROM events ORDER BY id`;
    const metrics = await runJobManifest(
      manifest({ sql, quarantineWhen: '_quarantine_reason IS NOT NULL' }),
      lake.resolve,
    );
    expect(metrics).toEqual({ rowsIn: 5, rowsOut: 3, quarantined: 2 });
    expect(await parquetColumns(lake.resolve('s3://lake/gold/out/dt=2025-03-30/part-00000.parquet'))).toEqual(
      ['id', 'amount'],
    );
    expect((await quarantineRows()).map((row) => [row.id, row._quarantine_reason])).toEqual([
      [2, 'negative amount'],
      [5, 'no amount'],
    ]);
  });

  it('overwrites both prefixes: a rerun leaves identical files and no stale ones', async () => {
    const stale = lake.resolve('s3://lake/gold/out/dt=2025-03-30/part-00001-old.parquet');
    await writeParquet(stale, 'SELECT 99 AS id');
    const job = manifest({ quarantineWhen: 'amount < 0' });
    await runJobManifest(job, lake.resolve);
    const first = await filesWithBytes(join(lake.dir, 'lake/gold'));
    // Spark's _SUCCESS marker lands next to the part file, as on Glue / EMR (Hadoop FileOutputCommitter).
    expect([...first.keys()].sort()).toEqual([
      'out/dt=2025-03-30/_SUCCESS',
      'out/dt=2025-03-30/part-00000.parquet',
    ]);
    await runJobManifest(job, lake.resolve);
    const second = await filesWithBytes(join(lake.dir, 'lake/gold'));
    expect([...second.keys()].sort()).toEqual([...first.keys()].sort());
    expect(
      second
        .get('out/dt=2025-03-30/part-00000.parquet')!
        .equals(first.get('out/dt=2025-03-30/part-00000.parquet')!),
    ).toBe(true);
    expect((await readdir(lake.resolve('s3://lake/quarantine/events_job/dt=2025-03-30/'))).sort()).toEqual([
      '_SUCCESS',
      'part-00000.parquet',
    ]);
  });

  it('writes part-00000.parquet with the schema even when no row comes out', async () => {
    const metrics = await runJobManifest(
      manifest({ sql: 'SELECT id, label FROM events WHERE id > 100' }),
      lake.resolve,
    );
    expect(metrics).toEqual({ rowsIn: 0, rowsOut: 0, quarantined: 0 });
    const output = lake.resolve('s3://lake/gold/out/dt=2025-03-30/part-00000.parquet');
    expect(await readParquetFile(output)).toEqual([]);
    expect(await parquetColumns(output)).toEqual(['id', 'label']);
    const quarantine = lake.resolve('s3://lake/quarantine/events_job/dt=2025-03-30/part-00000.parquet');
    expect(await parquetColumns(quarantine)).toEqual(['id', 'label', '_quarantine_reason']);
  });

  it('types an absent optional input from its columns hint; fails clearly without one or when required', async () => {
    const absent = 's3://lake/bronze/cdc/shop/none/2025/03/30/';
    const withHint = {
      name: 'changes',
      uri: absent,
      optional: true,
      columns: { Op: 'STRING', id: 'BIGINT', changed_at: 'TIMESTAMP' },
    };
    const sql = 'SELECT Op, id, changed_at FROM changes';
    const metrics = await runJobManifest(manifest({ inputs: [withHint], sql }), lake.resolve);
    expect(metrics).toEqual({ rowsIn: 0, rowsOut: 0, quarantined: 0 });
    const types = await queryRows(
      `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${lake.resolve('s3://lake/gold/out/dt=2025-03-30/part-00000.parquet')}', hive_partitioning = false))`,
    );
    expect(types.map((row) => `${row.column_name} ${row.column_type}`)).toEqual([
      'Op VARCHAR',
      'id BIGINT',
      // the lake's timestamps are instants (isAdjustedToUTC), as Spark writes them
      'changed_at TIMESTAMP WITH TIME ZONE',
    ]);

    await expect(
      runJobManifest(
        manifest({ inputs: [{ name: 'changes', uri: absent, optional: true }], sql }),
        lake.resolve,
      ),
    ).rejects.toThrow(
      `job events_job failed while registering input 'changes' (${absent}): optional input is absent and declares no \`columns\``,
    );
    await expect(
      runJobManifest(manifest({ inputs: [{ name: 'changes', uri: absent }], sql }), lake.resolve),
    ).rejects.toThrow(
      /job events_job failed while registering input 'changes' .*: required input has no Parquet files/,
    );
  });

  it('writes the metrics JSON on success only', async () => {
    const metricsPath = lake.resolve('s3://lake/_medallion/metrics/test/2025-03-30/events_job.json');
    await runJobManifest(manifest({ quarantineWhen: 'amount < 0' }), lake.resolve);
    expect(JSON.parse(await readFile(metricsPath, 'utf8'))).toEqual({
      rowsIn: 5,
      rowsOut: 4,
      quarantined: 1,
    });
    await writeFile(metricsPath, 'previous');
    await expect(
      runJobManifest(manifest({ sql: 'SELECT nope FROM events' }), lake.resolve),
    ).rejects.toThrow();
    expect(await readFile(metricsPath, 'utf8')).toBe('previous');
  });

  it('names the stage, the phase and the cause of a failure', async () => {
    await expect(
      runJobManifest(manifest({ sql: 'SELECT missing_column FROM events' }), lake.resolve),
    ).rejects.toThrow(/^job events_job failed while preparing the SQL: Binder Error: .*missing_column/);
    await expect(runJobManifest(manifest({ sql: 'SELECT 1; SELECT 2' }), lake.resolve)).rejects.toThrow(
      'job events_job failed while preparing the SQL: sql must be ONE SELECT statement, found 2 statements',
    );
    await expect(
      runJobManifest(manifest({ sql: 'CREATE TABLE sneaky AS SELECT 1 AS x' }), lake.resolve),
    ).rejects.toThrow('job events_job failed while preparing the SQL: sql must be a SELECT statement');
    await expect(
      runJobManifest(manifest({ sql: "SELECT '${time_zone}' AS tz" }), lake.resolve),
    ).rejects.toThrow('job events_job failed while preparing the SQL: unresolved placeholder ${time_zone}');
    await expect(
      runJobManifest(manifest({ quarantineWhen: 'no_such_column > 1' }), lake.resolve),
    ).rejects.toThrow(
      /^job events_job failed while evaluating quarantineWhen \(no_such_column > 1\): .*no_such_column/,
    );
  });

  it('rejects an invalid manifest naming every wrong field', async () => {
    const bad = manifest({
      logicalDate: '30.03.2025',
      outputUri: 's3://lake/gold/out',
      inputs: [{ name: 'bad name', uri: 's3://lake/silver/events/' }],
    });
    await expect(runJobManifest(bad, lake.resolve)).rejects.toThrow(
      /^job events_job failed while validating the manifest: .*manifest\.logicalDate: must be a date YYYY-MM-DD.*manifest\.inputs\.0\.name: must be a SQL identifier.*manifest\.outputUri: must be an s3:\/\/ prefix ending in \//,
    );
    const overlapping = manifest({ outputUri: 's3://lake/silver/events/dt=2025-03-31/' });
    await expect(runJobManifest(overlapping, lake.resolve)).rejects.toThrow(
      /manifest\.outputUri: overlaps input 'events' .*must not overwrite what it reads/,
    );
  });

  it('leaves no temporary files behind', async () => {
    await mkdir(lake.resolve('s3://lake/gold/'), { recursive: true });
    await runJobManifest(manifest(), lake.resolve);
    const names = [...(await filesWithBytes(lake.dir)).keys()];
    expect(names.filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps jobs that run at the same time apart, though their inputs have the same name', async () => {
    await writeParquet(
      lake.resolve('s3://lake/other/events/dt=2025-03-30/part-00000.parquet'),
      `SELECT * FROM (VALUES (9::BIGINT, 'z', 1, NULL::VARCHAR)) AS t(id, label, amount, note)`,
    );
    const other = manifest({
      stageId: 'other_job',
      inputs: [{ name: 'events', uri: 's3://lake/other/events/' }],
      outputUri: 's3://lake/gold/other/dt=2025-03-30/',
      quarantineUri: 's3://lake/quarantine/other_job/dt=2025-03-30/',
      metricsUri: 's3://lake/_medallion/metrics/test/2025-03-30/other_job.json',
    });
    const metrics = await Promise.all([
      runJobManifest(manifest(), lake.resolve),
      runJobManifest(other, lake.resolve),
    ]);
    expect(metrics.map((m) => m.rowsIn)).toEqual([5, 1]);
    expect((await outputRows()).map((row) => row.id)).toEqual([1, 2, 3, 4, 5]);
    const otherRows = await readParquetFile(
      lake.resolve('s3://lake/gold/other/dt=2025-03-30/part-00000.parquet'),
    );
    expect(otherRows.map((row) => row.id)).toEqual([9]);
  });

  it('reads an input rewritten since the last job, not bytes of the earlier file', async () => {
    await runJobManifest(manifest(), lake.resolve);
    await writeParquet(
      lake.resolve('s3://lake/silver/events/dt=2025-03-30/part-00000.parquet'),
      `SELECT * FROM (VALUES (6::BIGINT, 'f', 3, 'new')) AS t(id, label, amount, note)`,
    );
    await runJobManifest(manifest(), lake.resolve);
    expect((await outputRows()).map((row) => row.id)).toEqual([1, 2, 3, 6]);
  });
});

/**
 * SCD2 merge benchmark on DuckDB through the generated SQL (`npx tsx bench/scd2-merge.ts`).
 *
 * Loads a 1,000,000-key customer dimension (itself an SCD2 merge of 1M inserts), then times the merge
 * of a batch touching 10% of the keys: 4% tracked updates, 2% no-op updates carrying a type-1 change,
 * 2% deletes, 2% new keys. Both batches are staged from real Parquet files (read_parquet), exactly as
 * the emulator runs them. Goal: the churn merge in <= 5 s on 2 cores.
 *
 * Options: --keys <n> (default 1000000), --churn <fraction> (default 0.1); BENCH_PROFILE=1 prints the
 * time of every statement.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { createDimensionTablesSql, duckdbDialect, scd2BatchCountsSql, scd2MergeSql } from '../core/sql';
import type { DimensionSpecInput } from '../core/warehouse-spec';
import { dimCustomer } from '../pipelines/shop/warehouse';

/** The shop pipeline's customer dimension, measured without the late-changes quarantine table. */
const spec = { ...dimCustomer, lateArriving: 'ignore' } satisfies DimensionSpecInput;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { keys: { type: 'string', default: '1000000' }, churn: { type: 'string', default: '0.1' } },
  });
  const keys = Number(values.keys);
  const churn = Number(values.churn);
  if (!Number.isInteger(keys) || keys < 10) throw new Error('--keys must be an integer >= 10');
  if (!(churn > 0 && churn <= 1)) throw new Error('--churn must be a fraction in (0, 1]');

  const directory = await mkdtemp(join(tmpdir(), 'medallion-bench-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const dialect = duckdbDialect();
  const run = async (statements: string[]) => {
    await connection.run('BEGIN TRANSACTION');
    try {
      for (const statement of statements) {
        const t = performance.now();
        await connection.run(statement);
        if (process.env.BENCH_PROFILE)
          console.log((performance.now() - t).toFixed(0).padStart(7), 'ms', statement.slice(0, 90));
      }
      await connection.run('COMMIT');
    } catch (error) {
      await connection.run('ROLLBACK');
      throw error;
    }
  };
  const writeParquet = async (name: string, select: string) => {
    const prefix = join(directory, name);
    await connection.run(`COPY (${select}) TO '${prefix}' (FORMAT parquet, PER_THREAD_OUTPUT true)`);
    return `${prefix}/`;
  };
  const timed = async (label: string, batch: { logicalDate: string; batchId: string; sourceUri: string }) => {
    const started = performance.now();
    await run(scd2MergeSql(spec, batch, dialect));
    const seconds = (performance.now() - started) / 1000;
    const counts = await connection.runAndReadAll(scd2BatchCountsSql(spec, batch, dialect));
    const [row] = counts.getRowObjectsJS();
    const count = (name: string) => Number(row?.[name] ?? Number.NaN);
    console.log(
      `${label}: ${seconds.toFixed(2)} s — changes ${count('changes_staged')}, versions opened ${count(
        'versions_opened',
      )}, closed ${count('versions_closed')}, no-ops ${count('changes_noop')}, type-1 updates ${count('type1_updates')}`,
    );
    return seconds;
  };

  try {
    await run(createDimensionTablesSql(spec, dialect));
    const initial = await writeParquet(
      'initial',
      `SELECT i AS customer_id, 'user' || i || '@example.com' AS email, 'Customer ' || i AS full_name,
         CASE i % 3 WHEN 0 THEN 'gold' WHEN 1 THEN 'silver' ELSE 'bronze' END AS tier,
         CASE i % 5 WHEN 0 THEN 'FR' WHEN 1 THEN 'DE' ELSE 'US' END AS country,
         TIMESTAMP '2024-01-01 00:00:00' + to_seconds(i % 86400) AS updated_at,
         'I' AS _op, TIMESTAMP '2024-01-01 00:00:00' + to_seconds(i % 86400) AS _commit_ts
       FROM range(1, ${keys + 1}) r(i)`,
    );
    await timed(`initial load of ${keys} keys`, {
      logicalDate: '2024-01-01',
      batchId: 'bench-1',
      sourceUri: initial,
    });

    // 10% churn in four slices of the key space; new keys continue after the last one.
    const slice = Math.floor((keys * churn) / 10);
    const churned = await writeParquet(
      'churn',
      `SELECT i AS customer_id,
         CASE WHEN i <= ${4 * slice} THEN 'new' || i || '@example.com' ELSE 'user' || i || '@example.com' END AS email,
         'Customer ' || i || ' renamed' AS full_name,
         CASE i % 3 WHEN 0 THEN 'gold' WHEN 1 THEN 'silver' ELSE 'bronze' END AS tier,
         CASE i % 5 WHEN 0 THEN 'FR' WHEN 1 THEN 'DE' ELSE 'US' END AS country,
         TIMESTAMP '2024-01-02 00:00:00' + to_seconds(i % 86400) AS updated_at,
         CASE WHEN i <= ${6 * slice} THEN 'U' ELSE 'D' END AS _op,
         TIMESTAMP '2024-01-02 00:00:00' + to_seconds(i % 86400) AS _commit_ts
       FROM range(1, ${8 * slice + 1}) r(i)
       UNION ALL
       SELECT i, 'user' || i || '@example.com', 'Customer ' || i, 'bronze', 'US',
         TIMESTAMP '2024-01-02 00:00:00' + to_seconds(i % 86400), 'I', TIMESTAMP '2024-01-02 00:00:00' + to_seconds(i % 86400)
       FROM range(${keys + 1}, ${keys + 2 * slice + 1}) r(i)`,
    );
    const seconds = await timed(`merge of ${10 * slice} changes (${(churn * 100).toFixed(0)}% churn)`, {
      logicalDate: '2024-01-02',
      batchId: 'bench-2',
      sourceUri: churned,
    });
    const total = await connection.runAndReadAll(
      `SELECT COUNT(*) AS "rows", COUNT(*) FILTER (WHERE is_current) AS "current" FROM analytics.dim_customer`,
    );
    const [sizes] = total.getRowObjectsJS();
    console.log(`dimension now: ${Number(sizes?.rows)} rows, ${Number(sizes?.current)} current`);
    console.log(`SCD2 merge seconds: ${seconds.toFixed(2)} (goal <= 5)`);
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

/**
 * A local world with history, on the real local stack (local/local-stack.ts: dev server, emulator, worker), in
 * a fresh data directory as the first `npm start` makes it: a past month runs out of the box, and a
 * date before the world fails at once with a message naming the dates that exist. The lake's first
 * window loads every table (DMS full-load-and-cdc), so its first date has revenue; dates older than it,
 * run afterwards, capture changes only and leave the dimensions' current rows as they were.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDailyRun } from '../../cli/daily-runs';
import { addDays, localDate } from '../../core/dates';
import { datePath } from '../../core/lake-layout';
import type { DailyRunReport } from '../../core/run-report';
import { warehouseQueryFor } from '../../workers/aws-clients';
import { progressQuery } from '../../workflows';
import { startTestStack, type TestStack } from '../support/local-stack/local-stack-fixture';

const ZONE = 'Europe/Berlin';
const today = localDate(new Date(), ZONE);
const yesterday = addDays(today, -1);
let t: TestStack;

async function runDay(logicalDate: string): Promise<{ status: string; report: DailyRunReport; ms: number }> {
  const started = performance.now();
  const handle = await startDailyRun(t.stack.client, {
    pipeline: 'shop',
    logicalDate,
    taskQueue: t.taskQueue,
  });
  await handle.result().catch(() => undefined);
  return {
    status: (await handle.describe()).status.name,
    report: await handle.query(progressQuery),
    ms: performance.now() - started,
  };
}

beforeAll(async () => {
  // As `npm start` on a new machine: the world is made for yesterday, today.
  t = await startTestStack(yesterday);
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

/** The bronze files DMS wrote for a table's date folder. */
function bronzeFiles(table: string, date: string): string[] {
  const folder = path.join(
    t.dataDir,
    'aws',
    'lake',
    t.stack.world.bucket,
    'bronze/cdc/shop',
    table,
    datePath(date),
  );
  return existsSync(folder) ? readdirSync(folder).sort() : [];
}

const stageOf = (report: DailyRunReport, id: string) => report.stages.find((s) => s.id === id)!;

/** Dimension rows that break SCD2: two current versions of a key, or overlapping validity. */
const BROKEN_VERSIONS = (table: string, key: string) => `
  SELECT '${table}' AS dim, a.${key} AS id FROM analytics.${table} a
  GROUP BY a.${key} HAVING SUM(CASE WHEN a.is_current THEN 1 ELSE 0 END) > 1
  UNION ALL
  SELECT '${table}', a.${key} FROM analytics.${table} a JOIN analytics.${table} b
    ON a.${key} = b.${key} AND a.surrogate_key <> b.surrogate_key
   AND a.valid_from < b.valid_to AND b.valid_from < a.valid_to`;

/** A dimension's current versions: key, tracked values (row_hash), since when, deleted or not. */
async function currentVersions(table: string, key: string): Promise<Map<string, string>> {
  const rows = await warehouseQueryFor(t.stack.config.environment)(
    `SELECT ${key} AS id, row_hash, valid_from, is_deleted FROM analytics.${table} WHERE is_current`,
  );
  return new Map(rows.map((r) => [String(r.id), `${r.row_hash} ${r.valid_from} ${r.is_deleted}`]));
}

describe('a local world with history', () => {
  it('runs dates of a month ago on a fresh data directory: the first window loads every table, the next captures changes', async () => {
    const first = addDays(today, -30);
    const second = addDays(today, -29);
    const runs = [];
    for (const date of [first, second]) {
      const { status, report } = await runDay(date);
      expect(status, date).toBe('COMPLETED');
      expect(stageOf(report, 'silver_orders').rowsOut, `${date} silver orders`).toBeGreaterThan(20);
      runs.push(report);
    }
    const windows = t.stack.emulator.admin.startCalls({ service: 'dms', outcome: 'started' });
    expect(windows).toHaveLength(2);
    // DMS's S3 target names full-load files LOAD<hex counter> and CDC files by their first commit.
    expect(bronzeFiles('products', first)).toContain('LOAD00000001.parquet');
    expect(bronzeFiles('products', second).filter((f) => f.startsWith('LOAD'))).toEqual([]);
    // Every product is known from the first date on: its revenue is loaded, not quarantined.
    for (const report of runs) {
      expect(stageOf(report, 'load_fact_daily_revenue').rowsOut, report.logicalDate).toBeGreaterThan(2);
      expect(stageOf(report, 'daily_revenue').quarantined ?? 0, report.logicalDate).toBeLessThanOrEqual(1);
    }
    // The full load opened the dimensions' first versions.
    const warehouse = warehouseQueryFor(t.stack.config.environment);
    const [products] = await warehouse(
      'SELECT COUNT(*) AS n FROM analytics.dim_product WHERE is_current AND NOT is_deleted',
    );
    expect(Number(products!.n)).toBeGreaterThan(300);
  }, 180_000);

  // Policy: the lake's dimensions begin at the first full load. A date older than it, run later, is a
  // changes-only window (no second full load). Its changes are older than the versions the load opened,
  // so the SCD2 merge keeps them as late changes (dim_*_late_changes) or recognises them as replays: the
  // current version of every key the load knew keeps its tracked values and its start. Keys the load did
  // not know (gone before it) get the versions the older dates show; type-1 columns follow the
  // dimension's orderBy as in any merge.
  it('a range older than the first date, run afterwards: changes only, the loaded versions stay', async () => {
    const warehouse = warehouseQueryFor(t.stack.config.environment);
    const currentBefore = {
      product: await currentVersions('dim_product', 'product_id'),
      customer: await currentVersions('dim_customer', 'customer_id'),
    };
    for (const date of [addDays(today, -32), addDays(today, -31)]) {
      const { status, report } = await runDay(date);
      expect(status, date).toBe('COMPLETED');
      expect(
        bronzeFiles('products', date).filter((f) => f.startsWith('LOAD')),
        date,
      ).toEqual([]);
      expect(stageOf(report, 'ingest_oltp').rowsOut ?? 0, date).toBeLessThan(2_000);
    }
    const currentAfter = {
      product: await currentVersions('dim_product', 'product_id'),
      customer: await currentVersions('dim_customer', 'customer_id'),
    };
    for (const dim of ['product', 'customer'] as const) {
      const kept = [...currentBefore[dim].keys()].map((id) => [id, currentAfter[dim].get(id)]);
      expect(Object.fromEntries(kept), dim).toEqual(Object.fromEntries(currentBefore[dim]));
    }
    const [late] = await warehouse(
      'SELECT (SELECT COUNT(*) FROM analytics.dim_product_late_changes) + (SELECT COUNT(*) FROM analytics.dim_customer_late_changes) AS n',
    );
    expect(Number(late!.n)).toBeGreaterThan(0);
    expect(
      await warehouse(
        `${BROKEN_VERSIONS('dim_product', 'product_id')} UNION ALL ${BROKEN_VERSIONS('dim_customer', 'customer_id')}`,
      ),
    ).toEqual([]);
  }, 180_000);

  it('fails a date before the world at once, naming the dates that exist', async () => {
    const before = addDays(today, -420);
    const { status, report, ms } = await runDay(before);
    expect(status).toBe('FAILED');
    const cdc = report.stages.find((s) => s.id === 'ingest_oltp')!;
    expect(cdc.status).toBe('failed');
    expect(cdc.error).toMatch(
      /change log begins at .* windows of dates from \d{4}-\d{2}-\d{2} \(Europe\/Berlin\) on/,
    );
    expect(ms).toBeLessThan(20_000);
  }, 60_000);
});

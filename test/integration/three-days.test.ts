/**
 * Three consecutive `shop` days on the real local stack (dev server, AWS emulator on DuckDB, a worker
 * with the real activities), checked against the simulator's change log; then a rerun of day 2.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dailyRunId } from '../../core/activity-contracts';
import type { DailyRunReport } from '../../core/run-report';
import type { StartCall } from '../../emulator/scripting/start-call-log';
import type { ShopTable } from '../../emulator/sources/shop-schema';
import { loadPipelines } from '../../pipelines/registry';
import {
  expectedDailyRevenue,
  expectedFactOrders,
  expectedSilver,
  expectedSilverAccounts,
  sortedJson,
} from '../support/lake/shop-expectations';
import {
  goldRows,
  isoTimestamp,
  numbersAndText,
  silverRows,
} from '../support/local-stack/lake-and-warehouse';
import {
  customersAliveAt,
  dayRecords,
  expectedCurrentCustomers,
  shopDays,
} from '../support/local-stack/shop-day-expectations';
import { ShopLane, shopWorld } from '../support/local-stack/shop-lane';
import {
  jobIds,
  shopKeyBook,
  startedPerJob,
  startedTwice,
} from '../support/local-stack/start-call-attribution';
import { startTemporalDevServer } from '../support/local-stack/temporal-dev-server';

// The 30th is Berlin's 23-hour DST day; the 29th is the first day (DMS full load).
const DATES = ['2025-03-29', '2025-03-30', '2025-03-31'];
const world = shopWorld(DATES[0]!);
const days = shopDays(world, DATES);
const STAGES = loadPipelines().shop!.stages.map((stage) => stage.id);
const CDC_TABLES: ShopTable[] = ['customers', 'products', 'orders', 'order_items'];

let env: TestWorkflowEnvironment;
let dataDir: string;
let lane: ShopLane;
const reports: DailyRunReport[] = [];
const callsOfRun: StartCall[][] = [];

/** Runs a day as the 02:00 schedule would: the simulated sources' clock stands at the day's end. */
async function runDay(index: number, options: { rerun?: boolean; stages?: string[] } = {}) {
  const day = days[index]!;
  await lane.emulator.admin.setSourceClock(day.endUtc);
  const before = lane.startCalls().length;
  const report = await lane.run(day.logicalDate, options);
  return { report, calls: lane.startCalls().slice(before) };
}

beforeAll(async () => {
  env = await startTemporalDevServer();
  dataDir = await mkdtemp(path.join(tmpdir(), 'medallion-three-days-'));
  lane = await ShopLane.start({
    name: 'three-days',
    dataDir,
    world,
    client: env.client,
    nativeConnection: env.nativeConnection,
    address: env.address,
    namespace: 'default',
    timing: { transitionMs: 20, runMs: 100 },
  });
  for (const index of days.keys()) {
    const { report, calls } = await runDay(index);
    reports.push(report);
    callsOfRun.push(calls);
  }
}, 120_000);

afterAll(async () => {
  await lane?.stop();
  await env?.teardown();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('three consecutive shop days on the dev server, the emulator and a real worker', () => {
  it('runs every stage of every day once, generation 0', () => {
    for (const [index, report] of reports.entries()) {
      const date = DATES[index]!;
      expect(report).toMatchObject({ logicalDate: date, generation: 0, status: 'succeeded' });
      expect(report.stages.map((s) => [s.id, s.status])).toEqual(STAGES.map((id) => [id, 'succeeded']));
      const book = shopKeyBook(dailyRunId('shop', date), STAGES);
      expect(startedPerJob(callsOfRun[index]!, book, 0)).toEqual(
        Object.fromEntries(jobIds(book).map((id) => [id, 1])),
      );
      expect(startedTwice(callsOfRun[index]!, book)).toEqual([]);
    }
  });

  it("silver holds exactly each day's cleaned valid changes and the CRM snapshot of its end", async () => {
    for (const day of days) {
      const records = dayRecords(world, day);
      for (const table of CDC_TABLES) {
        const expected = expectedSilver(table, records).rows;
        const rows = await silverRows(lane, table, day.logicalDate);
        expect(rows.length, `${table} ${day.logicalDate}`).toBe(expected.length);
        expect(sortedJson(rows), `${table} ${day.logicalDate}`).toEqual(sortedJson(expected));
      }
      const accounts = expectedSilverAccounts(world.seed, day.endUtc, world.options).rows;
      expect(sortedJson(await silverRows(lane, 'accounts', day.logicalDate))).toEqual(sortedJson(accounts));
    }
    expect(expectedSilver('orders', dayRecords(world, days[1]!)).rows.length).toBeGreaterThan(50);
  });

  it("gold holds each day's orders and revenue per category", async () => {
    for (const day of days) {
      const records = dayRecords(world, day);
      expect(sortedJson(await goldRows(lane, 'fact_orders', day.logicalDate))).toEqual(
        sortedJson(expectedFactOrders(day, records)),
      );
      expect(sortedJson(await goldRows(lane, 'daily_revenue', day.logicalDate))).toEqual(
        sortedJson(expectedDailyRevenue(day, records, world.seed, world.options)),
      );
    }
  });

  it("the warehouse facts of each day equal the day's expected orders and revenue", async () => {
    for (const day of days) {
      const records = dayRecords(world, day);
      const orders = await lane.query(
        `SELECT order_id, customer_id, status, ${isoTimestamp('ordered_at')}, item_count, total_cents
         FROM analytics.fact_orders WHERE dt = DATE '${day.logicalDate}'`,
      );
      const expectedOrders = expectedFactOrders(day, records);
      expect(orders.length, day.logicalDate).toBe(expectedOrders.length);
      expect(sortedJson(orders.map(numbersAndText))).toEqual(sortedJson(expectedOrders));
      const revenue = await lane.query(
        `SELECT category, orders, units, revenue_cents FROM analytics.fact_daily_revenue
         WHERE dt = DATE '${day.logicalDate}'`,
      );
      expect(sortedJson(revenue.map(numbersAndText))).toEqual(
        sortedJson(expectedDailyRevenue(day, records, world.seed, world.options)),
      );
    }
    const [other] = await lane.query(
      `SELECT COUNT(*) AS n FROM analytics.fact_orders WHERE dt NOT IN (${DATES.map((d) => `DATE '${d}'`).join(', ')})`,
    );
    expect(Number(other!.n)).toBe(0);
  });

  it('dim_customer has one current row per customer alive after day 3, with the expected tracked values', async () => {
    const expected = expectedCurrentCustomers(world, days);
    expect(expected.size).toBeGreaterThan(100);
    // The expectation agrees with the simulated database's own state on who exists.
    expect([...expected.keys()].sort((a, b) => a - b)).toEqual(customersAliveAt(world, days[2]!.endUtc));
    const current = await lane.query(
      `SELECT customer_id, email, tier, country FROM analytics.dim_customer WHERE is_current`,
    );
    const ids = current.map((row) => Number(row.customer_id));
    expect(ids.length - new Set(ids).size, 'customers with two current rows').toBe(0);
    expect(ids.sort((a, b) => a - b)).toEqual([...expected.keys()].sort((a, b) => a - b));
    const mismatches = current
      .map(numbersAndText)
      .filter((row) => JSON.stringify(row) !== JSON.stringify(expected.get(Number(row.customer_id))));
    expect(mismatches).toEqual([]);
    const [versions] = await lane.query(
      `SELECT COUNT(*) AS n, COUNT(DISTINCT customer_id) AS customers FROM analytics.dim_customer`,
    );
    expect(Number(versions!.n)).toBeGreaterThan(Number(versions!.customers));
  });

  it('no dimension key has overlapping versions', async () => {
    for (const [table, key] of [
      ['dim_customer', 'customer_id'],
      ['dim_product', 'product_id'],
    ]) {
      const overlaps = await lane.query(
        `SELECT a.${key} AS k, a.valid_from, b.valid_from AS other_valid_from
         FROM analytics.${table} a JOIN analytics.${table} b
           ON a.${key} = b.${key} AND a.surrogate_key < b.surrogate_key
          AND a.valid_from < b.valid_to AND b.valid_from < a.valid_to`,
      );
      expect(overlaps, table).toEqual([]);
    }
  });

  it('a rerun of day 2 with every stage changes no warehouse table and starts each job once', async () => {
    const before = await lane.checksums();
    expect(before.every((table) => table.rows > 0)).toBe(true);
    const { report, calls } = await runDay(1, { rerun: true, stages: STAGES });
    expect(report).toMatchObject({ logicalDate: DATES[1], generation: 1, status: 'succeeded' });
    expect(await lane.checksums()).toEqual(before);
    const book = shopKeyBook(dailyRunId('shop', DATES[1]!), STAGES);
    // Every job once, DMS too: a rerun naming the CDC stage extracts day 2's window again, from day 1's
    // checkpoint (start-replication with that CdcStartPosition, activities/dms.ts), and rewrites the same
    // files: the warehouse is unchanged.
    expect(startedPerJob(calls, book, 1)).toEqual(Object.fromEntries(jobIds(book).map((id) => [id, 1])));
    expect(report.stages.find((s) => s.id === 'ingest_oltp')?.details).toMatchObject({
      startType: 'start-replication',
      previousCheckpointDate: DATES[0],
    });
    expect(startedTwice(lane.startCalls(), book)).toEqual([]);
  });
});

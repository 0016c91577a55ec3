import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempLake, type TempLake } from '../support/lake/temp-lake';
import { filesWithBytes } from '../support/lake/read-parquet';
import {
  bronzeRecords,
  expectedDailyRevenue,
  expectedFactOrders,
  sortedJson,
} from '../support/lake/shop-expectations';
import {
  GOLD_JOBS,
  outputOf,
  quarantineOf,
  runJob,
  SILVER_JOBS,
  simulateShopDays,
  type SimulatedDay,
} from '../support/lake/shop-lake';

const SEED = 77;
const options = { epochUtc: new Date('2025-03-20T00:00:00Z') };
const DATES = ['2025-03-29', '2025-03-30', '2025-03-31'];
const [factOrders, dailyRevenue] = GOLD_JOBS as [(typeof GOLD_JOBS)[0], (typeof GOLD_JOBS)[1]];

let lake: TempLake;
let days: SimulatedDay[];

beforeAll(async () => {
  lake = await createTempLake('medallion-gold-');
  days = await simulateShopDays(lake, SEED, DATES, options, [...SILVER_JOBS, ...GOLD_JOBS]);
});
afterAll(async () => {
  await lake.remove();
});

describe('shop gold jobs on simulated days', () => {
  it('fact_orders has one row per order placed that day (in Berlin), latest status, valid lines', async () => {
    for (const day of days) {
      const expected = expectedFactOrders(day, bronzeRecords(SEED, day, options));
      const rows = await outputOf(lake, factOrders, day.logicalDate);
      expect(rows.length, day.logicalDate).toBe(expected.length);
      expect(sortedJson(rows)).toEqual(sortedJson(expected));
      expect(day.metrics.fact_orders).toEqual({
        rowsIn: expected.length,
        rowsOut: expected.length,
        quarantined: 0,
      });
    }
    const statuses = new Set((await outputOf(lake, factOrders, '2025-03-30')).map((row) => row.status));
    expect(statuses.size).toBeGreaterThan(1);
  });

  it('the DST day has 23 hours of orders, bounded by Berlin midnights', async () => {
    const rows = await outputOf(lake, factOrders, '2025-03-30');
    const times = rows.map((row) => String(row.ordered_at)).sort();
    expect(times[0]! >= '2025-03-29T23:00:00.000Z').toBe(true);
    expect(times.at(-1)! < '2025-03-30T22:00:00.000Z').toBe(true);
  });

  it("daily_revenue sums the day's non-cancelled orders per category as known at the end of the day", async () => {
    for (const day of days) {
      const expected = expectedDailyRevenue(day, bronzeRecords(SEED, day, options), SEED, options);
      expect(sortedJson(await outputOf(lake, dailyRevenue, day.logicalDate))).toEqual(sortedJson(expected));
      expect(await quarantineOf(lake, dailyRevenue, day.logicalDate)).toEqual([]);
    }
  });

  it('a rerun of an earlier day after later days landed gives the same bytes (partitions after it ignored)', async () => {
    const first = DATES[0]!;
    const before = await filesWithBytes(lake.resolve('s3://lake/gold/'));
    expect(await runJob(lake, dailyRevenue, first)).toEqual(days[0]!.metrics.daily_revenue);
    expect(await runJob(lake, factOrders, first)).toEqual(days[0]!.metrics.fact_orders);
    const after = await filesWithBytes(lake.resolve('s3://lake/gold/'));
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [name, bytes] of before) expect(after.get(name)!.equals(bytes), name).toBe(true);
  });

  it('quarantines revenue of a product silver has never seen instead of dropping it', async () => {
    const day = DATES[1]!;
    // Without the first day (the full load), products that did not change since are unknown.
    const productsOfFirstDay = lake.resolve(`s3://lake/silver/products/dt=${DATES[0]}/`);
    const hidden = join(lake.dir, 'hidden-products');
    await rename(productsOfFirstDay, hidden);
    try {
      const metrics = await runJob(lake, dailyRevenue, day);
      expect(metrics.quarantined).toBe(1);
      const [rejected] = await quarantineOf(lake, dailyRevenue, day);
      expect(rejected).toMatchObject({ category: null, _quarantine_reason: 'category IS NULL' });
      expect(Number(rejected!.revenue_cents)).toBeGreaterThan(0);
    } finally {
      await rename(hidden, productsOfFirstDay);
      await runJob(lake, dailyRevenue, day);
    }
  });
});

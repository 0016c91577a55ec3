import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShopTable } from '../../emulator/sources/shop-schema';
import { createTempLake, type TempLake } from '../support/lake/temp-lake';
import {
  bronzeRecords,
  expectedSilver,
  expectedSilverAccounts,
  sortedJson,
} from '../support/lake/shop-expectations';
import { lakeLayout } from '../../core/lake-layout';
import { createShopSimulator } from '../../emulator/sources/shop-simulator';
import { dayWindowUtc } from '../../core/dates';
import {
  BUCKET,
  outputOf,
  quarantineOf,
  runJob,
  SILVER_JOBS,
  simulateShopDays,
  TIME_ZONE,
  type SimulatedDay,
} from '../support/lake/shop-lake';

const SEED = 31;
const options = { epochUtc: new Date('2025-03-20T00:00:00Z') };
// The full load lands on the 29th; the 30th is Berlin's 23-hour DST day.
const DATES = ['2025-03-29', '2025-03-30', '2025-03-31'];
const TABLE_JOBS: [ShopTable, (typeof SILVER_JOBS)[number]][] = [
  ['customers', SILVER_JOBS[0]!],
  ['products', SILVER_JOBS[1]!],
  ['orders', SILVER_JOBS[2]!],
  ['order_items', SILVER_JOBS[3]!],
];

let lake: TempLake;
let days: SimulatedDay[];

beforeAll(async () => {
  lake = await createTempLake('medallion-silver-');
  days = await simulateShopDays(lake, SEED, DATES, options, SILVER_JOBS);
});
afterAll(async () => {
  await lake.remove();
});

describe('shop silver jobs on simulated days', () => {
  it.each(TABLE_JOBS)('silver %s holds exactly the cleaned valid changes of the day', async (table, job) => {
    for (const day of days) {
      const expected = expectedSilver(table, bronzeRecords(SEED, day, options));
      const rows = await outputOf(lake, job, day.logicalDate);
      expect(rows.length, `${table} ${day.logicalDate}`).toBe(expected.rows.length);
      expect(sortedJson(rows)).toEqual(sortedJson(expected.rows));
      expect(day.metrics[job.id]).toEqual({
        rowsIn: expected.rows.length + expected.reasons.length,
        rowsOut: expected.rows.length,
        quarantined: expected.reasons.length,
      });
    }
  });

  it.each(TABLE_JOBS)('silver %s quarantines the malformed rows with their reason', async (table, job) => {
    for (const day of days) {
      const expected = expectedSilver(table, bronzeRecords(SEED, day, options));
      const rejected = await quarantineOf(lake, job, day.logicalDate);
      expect(rejected.map((row) => row._quarantine_reason).sort()).toEqual([...expected.reasons].sort());
    }
  });

  it('quarantines something on these days, and the full load makes the first day large', () => {
    const quarantined = days.flatMap((day) =>
      Object.values(day.metrics).map((metrics) => metrics.quarantined),
    );
    expect(quarantined.reduce((sum, count) => sum + count, 0)).toBeGreaterThan(5);
    expect(days[0]!.metrics.silver_orders!.rowsIn).toBeGreaterThan(
      3 * days[1]!.metrics.silver_orders!.rowsIn,
    );
  });

  it('silver accounts is the cleaned CRM snapshot of the day, malformed e-mails quarantined', async () => {
    for (const day of days) {
      const expected = expectedSilverAccounts(SEED, day.endUtc, options);
      expect(sortedJson(await outputOf(lake, SILVER_JOBS[4]!, day.logicalDate))).toEqual(
        sortedJson(expected.rows),
      );
      const rejected = await quarantineOf(lake, SILVER_JOBS[4]!, day.logicalDate);
      expect(rejected.map((row) => row._quarantine_reason)).toEqual(expected.reasons);
    }
  });

  it('silver accounts of a long-running CRM (default epoch) quarantines its malformed e-mails', async () => {
    const logicalDate = '2025-03-30';
    const { endUtc } = dayWindowUtc(logicalDate, TIME_ZONE);
    await createShopSimulator().writeAppFlowSnapshot({
      seed: SEED,
      object: 'accounts',
      asOfUtc: endUtc,
      outputUri: lakeLayout.saasSnapshot(BUCKET, 'accounts', logicalDate),
      resolve: lake.resolve,
    });
    const metrics = await runJob(lake, SILVER_JOBS[4]!, logicalDate);
    const expected = expectedSilverAccounts(SEED, endUtc, {});
    expect(expected.reasons.length).toBeGreaterThan(5);
    expect(metrics).toEqual({
      rowsIn: expected.rows.length + expected.reasons.length,
      rowsOut: expected.rows.length,
      quarantined: expected.reasons.length,
    });
    expect(sortedJson(await outputOf(lake, SILVER_JOBS[4]!, logicalDate))).toEqual(sortedJson(expected.rows));
  });
});

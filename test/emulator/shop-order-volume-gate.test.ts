/**
 * The shop's trailing row-count gate on fact_orders against the simulator's clean order volume: a
 * backfill of any past range of the local world must pass it, and the `drop-orders` bad day must
 * still be blocked by it. Counts come straight from the simulator (orders placed on each local date,
 * what fact_orders writes), judged by the pipeline's own check and evaluation code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateChecks } from '../../core/check-evaluation';
import { addDays, dayWindowUtc, localDate } from '../../core/dates';
import { qualityCheckSchema } from '../../core/quality-checks';
import { applyBadDays } from '../../emulator/sources/bad-days';
import { shopChangeLog, type ShopChange } from '../../emulator/sources/shop-simulator';
import { loadOrCreateWorld, worldEpoch } from '../../local/local-state';
import { shopChecks } from '../../pipelines/shop/checks';
import { shopPipeline } from '../../pipelines/shop';

const ZONE = shopPipeline.timeZone;
const gate = qualityCheckSchema.parse(
  shopChecks.fact_orders.find((check) => check.name === 'orders_vs_7_day_median'),
);
if (gate.kind !== 'rowCount' || !gate.trailing)
  throw new Error('orders_vs_7_day_median is a trailing rowCount');
const trailingDays = gate.trailing.days;

const dataDir = mkdtempSync(path.join(tmpdir(), 'medallion-volume-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** The world a fresh `npm start` makes today: 401 days of history up to today. */
const today = new Date().toISOString().slice(0, 10);
const world = loadOrCreateWorld(dataDir, today);
const epoch = worldEpoch(world);
const dates: string[] = [];
for (let date = world.opensOn!; date < today; date = addDays(date, 1)) dates.push(date);
const changes = shopChangeLog(world.seed, epoch, dayWindowUtc(addDays(today, -1), ZONE).endUtc, {
  epochUtc: epoch,
});

/** Orders placed per local date: the rows fact_orders writes for it. */
function ordersPerDate(log: ShopChange[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const change of log) {
    if (change.table !== 'orders' || change.op !== 'I' || change.malformed) continue;
    const date = localDate(change.row.ordered_at!, ZONE);
    counts.set(date, (counts.get(date) ?? 0) + 1);
  }
  return counts;
}

const clean = ordersPerDate(changes);

/** The earlier dates' counts the gate compares with (dates before the shop opened have none). */
function trailing(date: string): number[] {
  const earlier: number[] = [];
  for (let back = 1; back <= trailingDays; back++) {
    const count = clean.get(addDays(date, -back));
    if (count !== undefined) earlier.push(count);
  }
  return earlier;
}

const judge = (rowCount: number, trailingCounts: number[]) =>
  evaluateChecks('fact_orders', [gate], { measured: {}, rowCount, trailingCounts })[0]!;

describe('fact_orders.orders_vs_7_day_median on the simulated shop', () => {
  it(`passes every clean day of the local world (${dates.length} days)`, () => {
    expect(dates.length).toBeGreaterThan(400);
    const blocked = dates
      .map((date) => ({ date, outcome: judge(clean.get(date) ?? 0, trailing(date)) }))
      .filter(({ outcome }) => !outcome.passed)
      .map(({ date, outcome }) => `${date}: ${outcome.message}`);
    expect(blocked).toEqual([]);
  });

  it('passes every clean day whichever earlier dates of a backfill have run (worst: the busiest alone)', () => {
    const blocked = dates
      .filter((date) => trailing(date).length > 0)
      .map((date) => ({ date, outcome: judge(clean.get(date) ?? 0, [Math.max(...trailing(date))]) }))
      .filter(({ outcome }) => !outcome.passed)
      .map(({ date, outcome }) => `${date}: ${outcome.message}`);
    expect(blocked).toEqual([]);
  });

  it('blocks the drop-orders fault on every day that has a history', () => {
    const allBad = Object.fromEntries(dates.map((date) => [date, ['drop-orders' as const]]));
    const orders = changes.filter((change) => change.table === 'orders');
    const dropped = ordersPerDate(applyBadDays(orders, ZONE, allBad));
    const passed = dates
      .filter((date) => trailing(date).length > 0)
      .filter((date) => judge(dropped.get(date) ?? 0, trailing(date)).passed);
    expect(passed).toEqual([]);
  });
});

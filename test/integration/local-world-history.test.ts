/**
 * A local world with history, on the real local stack (local/local-stack.ts: dev server, emulator, worker), in
 * a fresh data directory as the first `npm start` makes it: a past month runs out of the box, and a
 * date before the world fails at once with a message naming the dates that exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDailyRun } from '../../cli/daily-runs';
import { addDays, localDate } from '../../core/dates';
import type { DailyRunReport } from '../../core/run-report';
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

describe('a local world with history', () => {
  it('runs dates of a month ago on a fresh data directory: each CDC window starts at its day', async () => {
    for (const date of [addDays(today, -30), addDays(today, -29)]) {
      const { status, report } = await runDay(date);
      expect(status, date).toBe('COMPLETED');
      const orders = report.stages.find((s) => s.id === 'silver_orders')!;
      expect(orders.rowsOut, `${date} silver orders`).toBeGreaterThan(20);
    }
    const windows = t.stack.emulator.admin.startCalls({ service: 'dms', outcome: 'started' });
    expect(windows).toHaveLength(2);
  }, 120_000);

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

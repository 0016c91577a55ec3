/**
 * `medallion rerun --failed` and `medallion status` on the dev server + emulator: four shop days, two
 * of them failed, one failed and already rerun; the command finds the two through visibility and
 * reruns them as generation 1, skipping what finished and restarting only what did not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rerunFailedRuns } from '../../cli/commands/rerun';
import { printStatus } from '../../cli/commands/status';
import { startDailyRun } from '../../cli/daily-runs';
import type { DailyRunReport } from '../../core/run-report';
import { searchAttributeKeys } from '../../core/search-attributes';
import { startTestStack, type TestStack } from '../support/local-stack/local-stack-fixture';

let t: TestStack;

async function runDay(logicalDate: string, failGlueStage?: string, rerun = false): Promise<string> {
  if (failGlueStage) {
    await t.stack.emulator.admin.failNextRuns({
      service: 'glue',
      name: failGlueStage,
      // The run and its two job retries.
      count: 3,
      message: `Scripted failure in ${failGlueStage}`,
    });
  }
  const handle = await startDailyRun(t.stack.client, {
    pipeline: 'shop',
    logicalDate,
    taskQueue: t.taskQueue,
    ...(rerun ? { rerun: true } : {}),
  });
  await handle.result().catch(() => undefined);
  return (await handle.describe()).status.name;
}

function glueStarts(stageKeyPart: string) {
  return t.stack.emulator.admin
    .startCalls({ service: 'glue', operation: 'StartJobRun', outcome: 'started' })
    .filter((c) => c.idempotencyKey?.includes(stageKeyPart));
}

beforeAll(async () => {
  t = await startTestStack('2026-01-15');
  expect(await runDay('2026-01-15')).toBe('COMPLETED');
  expect(await runDay('2026-01-16', 'silver_orders')).toBe('FAILED');
  expect(await runDay('2026-01-17', 'silver_products')).toBe('FAILED');
  expect(await runDay('2026-01-17', undefined, true)).toBe('COMPLETED');
  expect(await runDay('2026-01-18', 'silver_order_items')).toBe('FAILED');
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

describe('medallion rerun --failed', () => {
  it('lists the failed dates and what each rerun would do, starting nothing, with --dry-run', async () => {
    const lines: string[] = [];
    const runsBefore = await t.stack.client.workflow.count("WorkflowType = 'dailyPipeline'");
    const outcomes = await rerunFailedRuns(
      t.stack.client,
      t.taskQueue,
      { failed: true, since: '7d', pipeline: 'shop', dryRun: true },
      (line) => lines.push(line),
    );
    expect(outcomes.map((o) => `${o.logicalDate} ${o.result}`)).toEqual([
      '2026-01-16 would-rerun',
      '2026-01-18 would-rerun',
    ]);
    const text = lines.join('\n');
    expect(text).toContain('shop 2026-01-17: nothing to do, its latest run succeeded');
    expect(text).toMatch(/shop 2026-01-16: failed .*generation 0/);
    expect(text).toContain('Scripted failure in silver_orders');
    expect(text).toMatch(/skips \d+ finished stage\(s\): ingest_oltp, ingest_crm, /);
    expect(text).toMatch(/runs 5 stage\(s\) with fresh keys: silver_orders, fact_orders, daily_revenue, /);
    expect(text).not.toContain('2026-01-15');
    expect((await t.stack.client.workflow.count("WorkflowType = 'dailyPipeline'")).count).toBe(
      runsBefore.count,
    );
  });

  it('reruns each failed date in date order as the next generation, skipping finished stages', async () => {
    const lines: string[] = [];
    const outcomes = await rerunFailedRuns(
      t.stack.client,
      t.taskQueue,
      { failed: true, since: '7d', pipeline: 'shop' },
      (line) => lines.push(line),
    );
    expect(outcomes).toEqual([
      { pipeline: 'shop', logicalDate: '2026-01-16', result: 'succeeded', generation: 1 },
      { pipeline: 'shop', logicalDate: '2026-01-18', result: 'succeeded', generation: 1 },
    ]);
    expect(lines.join('\n')).toContain('✓ shop 2026-01-16 succeeded, generation 1');

    const report = (await t.stack.client.workflow.getHandle('shop/2026-01-16').result()) as DailyRunReport;
    const status = Object.fromEntries(report.stages.map((s) => [s.id, s.status]));
    expect(status).toMatchObject({
      ingest_oltp: 'skipped',
      silver_customers: 'skipped',
      silver_orders: 'succeeded',
      fact_orders: 'succeeded',
      load_fact_orders: 'succeeded',
    });
    // The failed stage ran again under a new key; the stages that finished were not started again.
    const orders = glueStarts('silver-orders-g');
    expect(orders.map((c) => c.idempotencyKey?.slice(0, 'md-silver-orders-g1'.length)).sort()).toEqual(
      expect.arrayContaining(['md-silver-orders-g0', 'md-silver-orders-g1']),
    );
    expect(glueStarts('silver-customers-g1')).toEqual([]);
    const description = await t.stack.client.workflow.getHandle('shop/2026-01-16').describe();
    expect(description.typedSearchAttributes.get(searchAttributeKeys.generation)).toBe(1);
    expect(description.typedSearchAttributes.get(searchAttributeKeys.status)).toBe('succeeded');
  });

  it('finds nothing more to do once every date succeeded', async () => {
    const lines: string[] = [];
    const outcomes = await rerunFailedRuns(
      t.stack.client,
      t.taskQueue,
      { failed: true, since: '7d' },
      (line) => lines.push(line),
    );
    expect(outcomes).toEqual([]);
    expect(lines.at(-1)).toMatch(/^no failed dates of any pipeline since /);
  });
});

describe('medallion status', () => {
  it("shows each date's latest run with its status and generation", async () => {
    const lines: string[] = [];
    await printStatus(t.stack.client, { pipeline: 'shop' }, (line) => lines.push(line));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^2026-01-15 {2}succeeded +generation 0 +closed .* shop\/2026-01-15$/);
    expect(lines[1]).toMatch(
      /^2026-01-16 {2}succeeded +generation 1 +closed .* shop\/2026-01-16 {2}\(2 runs\)$/,
    );
    expect(lines[2]).toMatch(/^2026-01-17 {2}succeeded +generation 1 .*\(2 runs\)$/);
    expect(lines[3]).toMatch(/^2026-01-18 {2}succeeded +generation 1 .*\(2 runs\)$/);
  });

  it("shows one date's runs, newest first, and the stages of the latest", async () => {
    const lines: string[] = [];
    await printStatus(t.stack.client, { pipeline: 'shop', date: '2026-01-16' }, (line) => lines.push(line));
    expect(lines[0]).toBe('shop 2026-01-16: 2 run(s), newest first');
    expect(lines[1]).toMatch(/^ {2}succeeded +generation 1 /);
    expect(lines[2]).toMatch(/^ {2}failed +generation 0 /);
    expect(lines).toContainEqual(expect.stringMatching(/^ {4}ingest_oltp +skipped$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {4}silver_orders +succeeded$/));
  });

  it('refuses a malformed date and says how to write it', async () => {
    await expect(
      printStatus(t.stack.client, { pipeline: 'shop', date: '16.01.2026' }, () => {}),
    ).rejects.toThrow('--date 16.01.2026 is not a date; use YYYY-MM-DD');
  });
});

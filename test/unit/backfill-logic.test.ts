import { describe, expect, it } from 'vitest';
import type { BackfillDate, BackfillProgress } from '../../core/backfill-report';
import { estimateRemainingMs, progressLine } from '../../core/backfill-report';
import { decideDate, processingOrder } from '../../core/backfill-selection';
import { dataPhaseDone, deferredStageIds, planMerges, type StageNode } from '../../core/backfill-stages';

// A dimension with a fact load that looks up its surrogate keys: the load is deferred with the merge.
const stages: StageNode[] = [
  { id: 'ingest', kind: 'dms', dependsOn: [] },
  { id: 'silver_customers', kind: 'glue', dependsOn: ['ingest'] },
  { id: 'silver_orders', kind: 'glue', dependsOn: ['ingest'] },
  { id: 'dim_customer', kind: 'scd2', dependsOn: ['silver_customers'] },
  { id: 'load_orders', kind: 'load', dependsOn: ['silver_orders', 'dim_customer'] },
  { id: 'dim_region', kind: 'scd2', dependsOn: ['silver_customers'] },
];
const dataStages = ['ingest', 'silver_customers', 'silver_orders'];

describe('dimension lane planning', () => {
  it('defers the SCD2 merges and everything downstream of them', () => {
    expect([...deferredStageIds(stages)].sort()).toEqual(['dim_customer', 'dim_region', 'load_orders']);
    expect(dataPhaseDone(stages, new Set(dataStages))).toBe(true);
    expect(dataPhaseDone(stages, new Set(['ingest', 'silver_customers']))).toBe(false);
  });

  it('runs the deferred stages whose inputs are done, a dependent together with its merge', () => {
    expect(planMerges(stages, new Set(dataStages), {})).toEqual({
      run: ['dim_customer', 'load_orders', 'dim_region'],
      blocked: [],
    });
  });

  it('blocks the merges whose silver input failed, and what depends on them', () => {
    const plan = planMerges(stages, new Set(['ingest', 'silver_orders']), {});
    expect(plan.run).toEqual([]);
    expect(plan.blocked).toEqual([
      { stage: 'dim_customer', reason: 'silver_customers is not done' },
      { stage: 'load_orders', reason: 'silver_customers is not done' },
      { stage: 'dim_region', reason: 'silver_customers is not done' },
    ]);
  });

  it('does not merge a dimension an earlier date failed to merge; other dimensions go on', () => {
    const plan = planMerges(stages, new Set(dataStages), { dim_customer: '2026-01-02' });
    expect(plan.run).toEqual(['dim_region']);
    expect(plan.blocked.map((b) => b.stage)).toEqual(['dim_customer', 'load_orders']);
    expect(plan.blocked[1]!.reason).toMatch(/dim_customer of 2026-01-02 did not merge/);
  });

  it('skips deferred stages already done', () => {
    expect(planMerges(stages, new Set([...dataStages, 'dim_customer']), {}).run).toEqual([
      'load_orders',
      'dim_region',
    ]);
  });
});

describe('date selection', () => {
  const ids = stages.map((s) => s.id);
  const never = { date: '2026-01-01', ran: false, done: [] };
  const partly = { date: '2026-01-02', ran: true, done: ['ingest'] };
  const fully = { date: '2026-01-03', ran: true, done: ids };

  it.each([
    ['missing', ['run', 'rerun', 'skip']],
    ['failed', ['skip', 'rerun', 'skip']],
    ['all', ['run', 'rerun', 'rerun']],
  ] as const)('only %s', (only, actions) => {
    expect([never, partly, fully].map((s) => decideDate(s, ids, only).action)).toEqual(actions);
  });

  it('says why a date reruns', () => {
    expect(decideDate(partly, ids, 'missing').reason).toBe(
      'last run did not finish: 5 of 6 stages not done (silver_customers, silver_orders, dim_customer, …)',
    );
  });

  it('orders the data phases oldest or newest first', () => {
    const items = [{ date: '2026-01-02' }, { date: '2026-01-03' }, { date: '2026-01-01' }];
    expect(processingOrder(items, 'oldest').map((i) => i.date)).toEqual([
      '2026-01-01',
      '2026-01-02',
      '2026-01-03',
    ]);
    expect(processingOrder(items, 'newest').map((i) => i.date)).toEqual([
      '2026-01-03',
      '2026-01-02',
      '2026-01-01',
    ]);
  });
});

describe('progress', () => {
  const date = (status: BackfillDate['status']): BackfillDate => ({
    date: '2026-01-01',
    status,
    rerun: false,
  });

  it('estimates the time left from the average runs: data under the cap, merges one at a time', () => {
    const dates = [
      date('succeeded'),
      date('queued'),
      date('queued'),
      date('queued'),
      date('queued'),
      date('data-phase'),
    ];
    const none = { dataRuns: 0, dataMs: 0, mergedDates: 0, mergeMs: 0, ingestRuns: 0, ingestMs: 0 };
    const timing = { ...none, dataRuns: 2, dataMs: 20 * 60_000, mergedDates: 4, mergeMs: 4 * 60_000 };
    // 4.5 data runs of 10 min over 2 slots, plus 5 dates merged at 1 min each.
    expect(estimateRemainingMs(dates, timing, 2)).toBe(22.5 * 60_000 + 5 * 60_000);
    expect(estimateRemainingMs(dates, none, 2)).toBeUndefined();
  });

  it('renders a progress bar line', () => {
    const progress = {
      status: 'running',
      counts: {
        total: 10,
        done: 4,
        running: 1,
        awaitingMerge: 1,
        failed: 1,
        skipped: 1,
        cancelled: 0,
        left: 2,
      },
      eta: { remainingMs: 25 * 60_000, at: '', averageDataRunMs: 1 },
      dates: [{ date: '2025-01-05', status: 'data-phase', rerun: false }],
    } as BackfillProgress;
    expect(progressLine(progress, 10)).toBe(
      '[######----] 6/10 · 4 done · 1 running · 1 awaiting merge · 1 failed · 1 skipped · 2 left · ETA ~25 min',
    );
    // A running date whose CDC windows are over and which waits for a data slot says so.
    progress.dates[0]!.status = 'awaiting-slot';
    expect(progressLine(progress, 10)).toContain('· 1 running (1 awaiting a data slot) · 1 awaiting merge ·');
  });
});

/**
 * The Temporal UI renders current details as markdown in a short panel: blocks must be separated by
 * blank lines (single newlines join into one paragraph), the tables must stay a few rows high, and the
 * panel ends with a footer paragraph and a rule (core/details-panel.ts says why; test/e2e/ui.test.ts
 * checks in the browser that the footer is not cut off).
 */
import { describe, expect, it } from 'vitest';
import { type BackfillDate, type BackfillProgress, progressMarkdown } from '../../core/backfill-report';
import { panelText } from '../../core/details-panel';
import type { DailyRunReport } from '../../core/run-report';
import { renderProgress } from '../../workflows/progress-text';

function backfill(dates: BackfillDate[]): BackfillProgress {
  return {
    settings: {
      pipeline: 'shop',
      from: '2026-01-01',
      to: '2026-01-31',
      only: 'missing',
      order: 'oldest',
      maxConcurrent: 4,
      childrenPerRun: 100,
      maxDatesPerMerge: 31,
      dryRun: false,
    },
    status: 'running',
    counts: {
      total: dates.length,
      done: 0,
      running: 0,
      awaitingMerge: 0,
      failed: 0,
      skipped: 0,
      cancelled: 0,
      left: 0,
    },
    lanes: { broken: {} },
    continuedAsNew: 0,
    startedAt: '2026-02-01T00:00:00Z',
    dates,
  };
}

describe('backfill current details', () => {
  it('is a header, a progress line and a table of the dates that need a look, as separate blocks', () => {
    const dates: BackfillDate[] = Array.from({ length: 31 }, (_, i) => ({
      date: `2026-01-${String(i + 1).padStart(2, '0')}`,
      status: i < 5 ? 'succeeded' : i === 20 ? 'failed' : i < 8 ? 'data-phase' : 'queued',
      rerun: false,
      ...(i === 20 ? { reason: 'silver_orders | failed' } : {}),
    }));
    const blocks = progressMarkdown(backfill(dates)).split('\n\n');
    expect(blocks[0]).toBe('**backfill shop 2026-01-01..2026-01-31** · running · only missing, oldest first');
    expect(blocks[1]).toMatch(/^\[#*-*\] /);
    const table = blocks[2]!.split('\n');
    expect(table.slice(0, 2)).toEqual(['| date | state | why |', '|---|---|---|']);
    // The failed date first (its pipe escaped), then those in flight, then the next queued; ten rows.
    expect(table[2]).toBe('| 2026-01-21 | ❌ failed | silver_orders \\| failed |');
    expect(table.slice(3, 6).map((r) => r.slice(2, 12))).toEqual(['2026-01-06', '2026-01-07', '2026-01-08']);
    expect(table).toHaveLength(12);
    expect(blocks[3]).toMatch(/^21 more dates/);
    expect(blocks.slice(4)).toEqual([
      'signals `pause` · `resume` · `cancel` · the `progress` query lists every date',
      '---',
    ]);
  });
});

describe('daily run current details', () => {
  it('is a header and a table of stages with state, job attempt and duration', () => {
    const report: DailyRunReport = {
      pipeline: 'shop',
      logicalDate: '2026-01-15',
      generation: 0,
      status: 'failed',
      totals: { rowsIn: 0, rowsOut: 0, quarantined: 0 },
      stages: [
        { id: 'ingest_oltp', kind: 'dms', summary: '', status: 'succeeded', attempt: 1, durationMs: 42_000 },
        {
          id: 'silver_orders',
          kind: 'glue',
          summary: '',
          status: 'failed',
          attempt: 3,
          startedAt: '2026-01-16T02:00:00Z',
          finishedAt: '2026-01-16T02:07:00Z',
          error: 'AwsJobFailed: run jr_1 ended FAILED:\n division by zero',
        },
        { id: 'load_fact_orders', kind: 'load', summary: '', status: 'blocked' },
      ],
    };
    expect(renderProgress(report, Date.parse('2026-01-16T03:00:00Z')).split('\n\n')).toEqual([
      '**shop 2026-01-15** · failed · 1/3 stages done · generation 0',
      [
        '| stage | state | attempt | time |',
        '|---|---|---|---|',
        '| ingest_oltp | ✅ succeeded | 1 | 42 s |',
        '| silver_orders | ❌ failed | 3 | 7 min |',
        '| load_fact_orders | ⛔ blocked |  |  |',
      ].join('\n'),
      '❌ **silver_orders**: AwsJobFailed: run jr_1 ended FAILED: division by zero',
      'as of 03:00:00 UTC · the `progress` query has every stage',
      '---',
    ]);
  });
});

describe('free text in the panel', () => {
  it('cuts words the panel cannot wrap (run ids) and keeps links whole', () => {
    const runId = `jr_${'a'.repeat(64)}`;
    const url = `(https://us-east-1.console.aws.amazon.com/gluestudio/home#/job/x/run/${runId})`;
    expect(panelText(`run ${runId} ended FAILED | boom ${url}`, 400)).toBe(
      `run jr_aaaaaaaaaaaaa… ended FAILED \\| boom ${url}`,
    );
    expect(panelText('x'.repeat(30), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

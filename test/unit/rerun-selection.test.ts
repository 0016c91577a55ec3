import { describe, expect, it } from 'vitest';
import { checkOptions, parseSince, selectFailedDates } from '../../cli/commands/rerun';
import { type DailyRunRow, runsPerDate } from '../../cli/commands/status';

const at = (iso: string) => new Date(iso);

function row(
  logicalDate: string | undefined,
  state: string,
  started: string,
  extra: Partial<DailyRunRow> = {},
) {
  return {
    pipeline: 'shop',
    workflowId: logicalDate ? `shop/${logicalDate}` : 'shop-sched-2026-01-20T01:00:00Z',
    runId: `${logicalDate}-${started}`,
    state,
    startTime: at(started),
    ...(state === 'running' ? {} : { closeTime: at(started) }),
    ...(logicalDate ? { logicalDate } : {}),
    ...extra,
  } satisfies DailyRunRow;
}

describe('parseSince', () => {
  const now = at('2026-02-01T12:00:00Z');
  it('reads durations back from now and dates from their UTC midnight', () => {
    expect(parseSince('7d', now).toISOString()).toBe('2026-01-25T12:00:00.000Z');
    expect(parseSince('36h', now).toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(parseSince('2026-01-20', now).toISOString()).toBe('2026-01-20T00:00:00.000Z');
  });

  it.each(['', 'seven days', '-3d', '0d', '3x', '2026-02-30', '7'])(
    'refuses %j and says what to write',
    (bad) => {
      expect(() => parseSince(bad, now)).toThrow(
        /^--since .*: use a duration back from now such as 7d or 36h/,
      );
    },
  );
});

describe('checkOptions', () => {
  it('asks for the selection when --failed is missing', () => {
    expect(() => checkOptions({ since: '7d' })).toThrow('say which runs to rerun: --failed');
  });
});

describe('selectFailedDates', () => {
  it('reruns a date only when its newest run failed or timed out, across workflow ids', () => {
    const days = runsPerDate([
      row('2026-01-10', 'succeeded', '2026-01-11T02:00:00Z'),
      row('2026-01-11', 'failed', '2026-01-12T02:00:00Z'),
      // Failed from the schedule (another id), then rerun by hand: settled.
      row('2026-01-12', 'failed', '2026-01-13T02:00:00Z', { workflowId: 'shop-2026-01-13T01:00:00Z' }),
      row('2026-01-12', 'succeeded', '2026-01-13T09:00:00Z'),
      // Succeeded, then a deliberate rerun failed: the newest run decides.
      row('2026-01-13', 'succeeded', '2026-01-14T02:00:00Z'),
      row('2026-01-13', 'timed-out', '2026-01-14T09:00:00Z'),
      row('2026-01-14', 'failed', '2026-01-15T02:00:00Z'),
      row('2026-01-14', 'running', '2026-01-15T09:00:00Z'),
      row('2026-01-15', 'cancelled', '2026-01-16T02:00:00Z'),
      row(undefined, 'failed', '2026-01-16T02:00:00Z'),
    ]);
    const selection = selectFailedDates(days);
    expect(selection.toRerun.map((d) => d.logicalDate)).toEqual(['2026-01-11', '2026-01-13']);
    expect(selection.settled.map((s) => `${s.day.logicalDate}: ${s.reason}`)).toEqual([
      '2026-01-12: its latest run succeeded',
      '2026-01-14: a run of it is in progress',
    ]);
  });
});

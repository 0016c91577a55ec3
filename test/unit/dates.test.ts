import { describe, expect, it } from 'vitest';
import {
  addDays,
  dateRange,
  dayWindowUtc,
  isIsoDate,
  localDate,
  logicalDateForScheduledTime,
} from '../../core/dates';

describe('logical dates', () => {
  it('accepts only real calendar dates', () => {
    expect(isIsoDate('2026-02-28')).toBe(true);
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2026-2-01')).toBe(false);
    expect(isIsoDate('yesterday')).toBe(false);
  });

  it('adds days across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(dateRange('2026-01-30', '2026-02-02')).toEqual([
      '2026-01-30',
      '2026-01-31',
      '2026-02-01',
      '2026-02-02',
    ]);
  });

  it('gives Berlin days of 24, 23 and 25 hours around the DST changes', () => {
    const hours = (d: string) => {
      const { startUtc, endUtc } = dayWindowUtc(d, 'Europe/Berlin');
      return (endUtc.getTime() - startUtc.getTime()) / 3600_000;
    };
    expect(dayWindowUtc('2026-01-15', 'Europe/Berlin').startUtc.toISOString()).toBe(
      '2026-01-14T23:00:00.000Z',
    );
    expect(hours('2026-01-15')).toBe(24);
    expect(hours('2026-03-29')).toBe(23);
    expect(hours('2026-10-25')).toBe(25);
    expect(dayWindowUtc('2026-07-01', 'Europe/Berlin').startUtc.toISOString()).toBe(
      '2026-06-30T22:00:00.000Z',
    );
  });

  it('derives D-1 from a run scheduled at 02:00 local time on D, in the pipeline zone', () => {
    // 02:00 Berlin on 2026-03-30 (summer time) is 00:00 UTC.
    expect(logicalDateForScheduledTime(new Date('2026-03-30T00:00:00Z'), 'Europe/Berlin')).toBe('2026-03-29');
    // 00:30 Berlin on 2026-01-16 is still 2026-01-15 in UTC: the zone decides, not UTC.
    expect(logicalDateForScheduledTime(new Date('2026-01-15T23:30:00Z'), 'Europe/Berlin')).toBe('2026-01-15');
    expect(localDate(new Date('2026-01-15T23:30:00Z'), 'UTC')).toBe('2026-01-15');
  });
});

/**
 * A daily pipeline's schedule reduced to what it means: one time of day, on the days it matches.
 * Both ways of writing a schedule (cron, calendar) compile to this, and so does what the server
 * describes, so code and server compare field by field whatever the spelling.
 */
import {
  type CalendarSpec,
  type CalendarSpecDescription,
  DAYS_OF_WEEK,
  type DayOfWeek,
  type Month,
  MONTHS,
  type Range,
  type ScheduleSpecDescription,
} from '@temporalio/client';

export interface DailySlot {
  hour: number;
  minute: number;
  second: number;
  /** 1..31; all 31 = every day of the month. */
  daysOfMonth: number[];
  /** 1..12; all 12 = every month. */
  months: number[];
  /** 0 (Sunday)..6; all 7 = every day of the week. */
  daysOfWeek: number[];
}

export const ALL_DAYS_OF_MONTH = range(1, 31);
export const ALL_MONTHS = range(1, 12);
export const ALL_DAYS_OF_WEEK = range(0, 6);

export function range(from: number, to: number, step = 1): number[] {
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}

const pad = (n: number) => String(n).padStart(2, '0');

export function timeOfDay(slot: Pick<DailySlot, 'hour' | 'minute' | 'second'>): string {
  return `${pad(slot.hour)}:${pad(slot.minute)}${slot.second ? `:${pad(slot.second)}` : ''}`;
}

/** Runs of consecutive values: [1,2,3,5] -> [[1,3],[5,5]]. */
function runs(values: number[]): [number, number][] {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const v of sorted) {
    const last = out[out.length - 1];
    if (last && last[1] === v - 1) last[1] = v;
    else out.push([v, v]);
  }
  return out;
}

function listText(values: number[], name: (v: number) => string): string {
  return runs(values)
    .map(([a, b]) => (a === b ? name(a) : `${name(a)}-${name(b)}`))
    .join(',');
}

const shortName = (full: string) => full.charAt(0) + full.slice(1, 3).toLowerCase();

/** "03:00 daily", "03:00 Mon-Fri", "06:30 on day 1 in Jan,Apr,Jul,Oct". */
export function formatSlot(slot: DailySlot): string {
  const parts = [timeOfDay(slot)];
  const everyWeekday = slot.daysOfWeek.length === 7;
  const everyDayOfMonth = slot.daysOfMonth.length === 31;
  const everyMonth = slot.months.length === 12;
  if (everyWeekday && everyDayOfMonth && everyMonth) return `${parts[0]} daily`;
  if (!everyWeekday) parts.push(listText(slot.daysOfWeek, (d) => shortName(DAYS_OF_WEEK[d]!)));
  if (!everyDayOfMonth) parts.push(`on day ${listText(slot.daysOfMonth, String)}`);
  if (!everyMonth) parts.push(`in ${listText(slot.months, (m) => shortName(MONTHS[m - 1]!))}`);
  return parts.join(' ');
}

/** Whether the slot fires on a local calendar date (YYYY-MM-DD). */
export function slotMatchesDay(slot: DailySlot, isoDate: string): boolean {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return slot.months.includes(m) && slot.daysOfMonth.includes(d) && slot.daysOfWeek.includes(weekday);
}

function looseRanges<T>(values: number[], all: number, unit: (v: number) => T): '*' | Range<T>[] {
  if (values.length === all) return '*';
  return runs(values).map(([a, b]) => ({ start: unit(a), end: unit(b), step: 1 }));
}

/** The calendar the server is given (always structured: what describe returns compares cleanly). */
export function toCalendarSpec(slot: DailySlot): CalendarSpec {
  return {
    second: slot.second,
    minute: slot.minute,
    hour: slot.hour,
    dayOfMonth: looseRanges(slot.daysOfMonth, 31, (d) => d),
    month: looseRanges(slot.months, 12, (m): Month => MONTHS[m - 1]!),
    dayOfWeek: looseRanges(slot.daysOfWeek, 7, (d): DayOfWeek => DAYS_OF_WEEK[d]!),
  };
}

function expand<T>(ranges: Range<T>[], toNumber: (v: T) => number, all: number[]): number[] {
  if (ranges.length === 0) return all;
  const values = new Set<number>();
  for (const r of ranges) {
    const start = toNumber(r.start);
    const end = Math.max(start, toNumber(r.end));
    for (const v of range(start, end, Math.max(1, r.step))) if (all.includes(v)) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

/** The slot a described schedule fires at, or why it is not a single daily slot. */
export function slotFromDescription(
  spec: ScheduleSpecDescription,
): { slot: DailySlot } | { problem: string } {
  const calendars: CalendarSpecDescription[] = spec.calendars ?? [];
  if ((spec.intervals ?? []).length > 0) return { problem: 'has interval specs' };
  if ((spec.skip ?? []).length > 0) return { problem: 'has skip calendars' };
  if (calendars.length !== 1) return { problem: `has ${calendars.length} calendars` };
  const calendar = calendars[0]!;
  if (calendar.year.length > 0) return { problem: 'is limited to certain years' };
  const single = (name: string, ranges: Range<number>[], max: number) => {
    const values = expand(ranges, (v) => v, range(0, max));
    return values.length === 1 ? values[0]! : `${name} matches ${values.length} values`;
  };
  const second = single('second', calendar.second, 59);
  const minute = single('minute', calendar.minute, 59);
  const hour = single('hour', calendar.hour, 23);
  for (const field of [second, minute, hour]) if (typeof field === 'string') return { problem: field };
  return {
    slot: {
      second: second as number,
      minute: minute as number,
      hour: hour as number,
      daysOfMonth: expand(calendar.dayOfMonth, (d) => d, ALL_DAYS_OF_MONTH),
      months: expand(calendar.month, (m) => MONTHS.indexOf(m) + 1, ALL_MONTHS),
      daysOfWeek: expand(calendar.dayOfWeek, (d) => DAYS_OF_WEEK.indexOf(d), ALL_DAYS_OF_WEEK),
    },
  };
}

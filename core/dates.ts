/**
 * Calendar math for logical dates (YYYY-MM-DD) and their UTC windows in a pipeline's time zone.
 * Pure and deterministic (Intl only), so workflows can use it.
 */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === value;
}

export function addDays(isoDate: string, days: number): string {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (positive when `to` is later). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Inclusive list of dates from `from` to `to`. */
export function dateRange(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) dates.push(date);
  return dates;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Wall-clock fields of an instant in a time zone. */
function wallClock(instantMs: number, timeZone: string): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return fields;
}

/** The wall clock of an instant in a time zone, as if that wall clock were UTC (ms, whole seconds). */
export function wallClockMs(instantMs: number, timeZone: string): number {
  const f = wallClock(instantMs, timeZone);
  return Date.UTC(f.year!, f.month! - 1, f.day, f.hour, f.minute, f.second);
}

/** Offset of the zone from UTC at an instant, in ms (Berlin in winter: +3_600_000). */
export function zoneOffsetMs(instantMs: number, timeZone: string): number {
  return wallClockMs(instantMs, timeZone) - Math.floor(instantMs / 1000) * 1000;
}

/** The local calendar date of an instant in a time zone. */
export function localDate(instant: Date, timeZone: string): string {
  const f = wallClock(instant.getTime(), timeZone);
  return `${f.year}-${String(f.month).padStart(2, '0')}-${String(f.day).padStart(2, '0')}`;
}

/** The UTC instant at which `isoDate` starts (local midnight) in `timeZone`. */
export function startOfDayUtc(isoDate: string, timeZone: string): Date {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  const wallMidnight = Date.UTC(y, m - 1, d);
  // Two passes: the offset at the guess may differ from the offset at the answer around DST changes.
  let instant = wallMidnight - zoneOffsetMs(wallMidnight, timeZone);
  instant = wallMidnight - zoneOffsetMs(instant, timeZone);
  return new Date(instant);
}

/** The data interval of a logical date: [local midnight, next local midnight) as UTC instants. */
export function dayWindowUtc(isoDate: string, timeZone: string): { startUtc: Date; endUtc: Date } {
  return { startUtc: startOfDayUtc(isoDate, timeZone), endUtc: startOfDayUtc(addDays(isoDate, 1), timeZone) };
}

/**
 * Rule 1 of the architecture: a run scheduled at 02:00 on D processes D-1 (the day that just ended,
 * in the pipeline's time zone).
 */
export function logicalDateForScheduledTime(scheduledAt: Date, timeZone: string): string {
  return addDays(localDate(scheduledAt, timeZone), -1);
}

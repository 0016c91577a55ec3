/**
 * The daylight-saving rule for schedule slots.
 *
 * Temporal matches a calendar against the local wall clock and does no DST repair: a local time the
 * clocks jump over never fires, and a local time the clocks pass twice fires twice. For a daily
 * pipeline both are wrong: the skipped day's logical date never runs (a silent gap in the data), and
 * the doubled day starts two runs for one logical date (the second is refused as "already ran", which
 * fails it and, with pause-on-failure, pauses the schedule). In Europe/Berlin that is any slot in
 * 02:00-02:59 (02:00 included: at 02:00 CET the clocks show 03:00 CEST). So a slot must occur exactly
 * once on every day it fires; the definition loader rejects any other and names the day and the hour
 * the clocks change.
 */
import { addDays, wallClockMs, zoneOffsetMs } from '../core/dates';
import { type DailySlot, slotMatchesDay, timeOfDay } from './daily-slot';

function wallMs(isoDate: string, time: Pick<DailySlot, 'hour' | 'minute' | 'second'>): number {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d, time.hour, time.minute, time.second);
}

/**
 * Every instant at which the local clock in `timeZone` shows `time` on `isoDate`: one on a normal day,
 * none when the clocks jump over it, two when they pass it twice.
 */
export function localTimeOccurrences(
  isoDate: string,
  time: Pick<DailySlot, 'hour' | 'minute' | 'second'>,
  timeZone: string,
): Date[] {
  const wall = wallMs(isoDate, time);
  // The offsets in force around that day (a zone changes its offset at most once a day).
  const offsets = new Set([
    zoneOffsetMs(wall - 36 * 3600_000, timeZone),
    zoneOffsetMs(wall + 36 * 3600_000, timeZone),
  ]);
  const instants = [...offsets]
    .map((offset) => wall - offset)
    .filter((instant) => wallClockMs(instant, timeZone) === wall)
    .sort((a, b) => a - b);
  return instants.map((ms) => new Date(ms));
}

/** The local wall-clock hours the clocks skip or repeat on a day: from "02:00" to "03:00". */
function clockChangeWindow(isoDate: string, timeZone: string): { from: string; to: string } {
  const noon = wallMs(isoDate, { hour: 12, minute: 0, second: 0 });
  let [lo, hi] = [noon - 36 * 3600_000, noon + 12 * 3600_000];
  const before = zoneOffsetMs(lo, timeZone);
  const after = zoneOffsetMs(hi, timeZone);
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2);
    if (zoneOffsetMs(mid, timeZone) === before) lo = mid;
    else hi = mid;
  }
  const show = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const [a, b] = [hi + Math.min(before, after), hi + Math.max(before, after)];
  return { from: show(a), to: show(b) };
}

export interface DstProblem {
  date: string;
  occurrences: number;
  message: string;
}

/**
 * The first day in `days` days from `fromDate` on which the slot does not occur exactly once, with a
 * message that says what would happen and how to fix it; undefined when every day is fine.
 */
export function findDstProblem(
  slot: DailySlot,
  timeZone: string,
  fromDate: string,
  days: number,
): DstProblem | undefined {
  for (let i = 0; i < days; i++) {
    const date = addDays(fromDate, i);
    if (!slotMatchesDay(slot, date)) continue;
    const occurrences = localTimeOccurrences(date, slot, timeZone).length;
    if (occurrences === 1) continue;
    const change = clockChangeWindow(date, timeZone);
    const window = `${change.from}-${change.to}`;
    const what =
      occurrences === 0
        ? `does not exist in ${timeZone} on ${date} (the clocks jump forward over ${window}): that day's run would never start and logical date ${addDays(date, -1)} would be missing`
        : `happens twice in ${timeZone} on ${date} (the clocks go back over ${window}): two runs would start for logical date ${addDays(date, -1)}`;
    return {
      date,
      occurrences,
      message: `${timeOfDay(slot)} ${what}. Pick a time that exists once every day: outside ${window}, e.g. ${change.to}`,
    };
  }
  return undefined;
}

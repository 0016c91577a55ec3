/**
 * Bad days on demand: faults the shop simulator applies to the changes DMS replicates for chosen local
 * dates, so the pipeline's quality gates can be seen tripping (README "Quality gates"). The faults
 * are read on every DMS window write, so switching them off and rerunning the date fixes it (the
 * window's files are rewritten with the same names).
 *
 * Spec: `<date>=<fault>[+<fault>...]` entries separated by `;` or `,`, e.g.
 * `2026-12-06=drop-orders+duplicate-order`; from the MEDALLION_BAD_DAYS environment variable and the
 * file `bad-days.txt` in the local data directory (`medallion bad-day` writes it).
 */
import { readFileSync } from 'node:fs';
import type { ShopChange } from './shop-changes';
import { localDate } from './zoned-time';

export const BAD_DAY_FAULTS = {
  /** The source lost 9 of 10 orders placed that day (and their lines). */
  'drop-orders': 'drop 9 of 10 orders placed on the day',
  /** Two images of one order committed at the same instant with different customers (3 orders). */
  'duplicate-order': 'commit 3 orders twice at the same instant with another customer',
  /** CDC stalls at local noon: nothing committed after it arrives. */
  stall: 'replicate nothing committed after local noon',
} as const;

export type BadDayFault = keyof typeof BAD_DAY_FAULTS;

/** Which faults each local date has; asked at every window write. */
export type BadDays = () => Record<string, BadDayFault[]>;

export function parseBadDays(spec: string, source: string): Record<string, BadDayFault[]> {
  const days: Record<string, BadDayFault[]> = {};
  for (const entry of spec
    .split(/[;,\n]/)
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^(\d{4}-\d{2}-\d{2})=([a-z+-]+)$/.exec(entry);
    if (!match) {
      throw new Error(
        `${source}: "${entry}" is not <YYYY-MM-DD>=<fault>[+<fault>], e.g. 2026-12-06=drop-orders`,
      );
    }
    const faults = match[2]!.split('+');
    for (const fault of faults) {
      if (!(fault in BAD_DAY_FAULTS)) {
        throw new Error(`${source}: unknown fault "${fault}"; use ${Object.keys(BAD_DAY_FAULTS).join(', ')}`);
      }
    }
    days[match[1]!] = [...(days[match[1]!] ?? []), ...(faults as BadDayFault[])];
  }
  return days;
}

/** Bad days from MEDALLION_BAD_DAYS and the file (absent file: none), read at each call. */
export function badDaysFrom(file: string | undefined, env: NodeJS.ProcessEnv = process.env): BadDays {
  return () => {
    const fromEnv = env.MEDALLION_BAD_DAYS ? parseBadDays(env.MEDALLION_BAD_DAYS, 'MEDALLION_BAD_DAYS') : {};
    let text = '';
    try {
      text = file ? readFileSync(file, 'utf8') : '';
    } catch {
      text = '';
    }
    const fromFile = parseBadDays(text, file ?? '');
    const merged: Record<string, BadDayFault[]> = { ...fromEnv };
    for (const [date, faults] of Object.entries(fromFile))
      merged[date] = [...(merged[date] ?? []), ...faults];
    return merged;
  };
}

/** The changes with the faults of their commit's local date applied (others untouched). */
export function applyBadDays(
  changes: ShopChange[],
  timeZone: string,
  days: Record<string, BadDayFault[]>,
): ShopChange[] {
  if (Object.keys(days).length === 0) return changes;
  const faultsOf = (change: ShopChange) => days[localDate(change.commitTs, timeZone)] ?? [];
  const dropped = new Set<number>();
  const result: ShopChange[] = [];
  const duplicatedPerDate = new Map<string, number>();
  for (const change of changes) {
    const faults = faultsOf(change);
    if (faults.length === 0) {
      result.push(change);
      continue;
    }
    const date = localDate(change.commitTs, timeZone);
    if (faults.includes('stall') && localHour(change.commitTs, timeZone) >= 12) continue;
    if (faults.includes('drop-orders') && change.table === 'orders' && change.op === 'I') {
      const id = change.row.order_id;
      if (id !== null && id % 10 !== 0) {
        dropped.add(id);
        continue;
      }
    }
    if (change.table === 'order_items' && change.row.order_id !== null && dropped.has(change.row.order_id))
      continue;
    if (change.table === 'orders' && dropped.has(change.row.order_id ?? -1)) continue;
    result.push(change);
    const duplicated = duplicatedPerDate.get(date) ?? 0;
    if (
      faults.includes('duplicate-order') &&
      change.table === 'orders' &&
      change.op === 'I' &&
      change.malformed === null &&
      duplicated < 3
    ) {
      duplicatedPerDate.set(date, duplicated + 1);
      const other = (change.row.customer_id ?? 0) + 1;
      result.push({ ...change, row: { ...change.row, customer_id: other } });
    }
  }
  return result;
}

function localHour(instant: Date, timeZone: string): number {
  return Number(
    new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(instant),
  );
}

/**
 * `medallion bad-day` (local mode): writes the bad days the local source simulator breaks
 * (emulator/sources/bad-days.ts) to the data directory, where its next DMS window reads them.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIsoDate } from '../core/dates';
import { BAD_DAY_FAULTS, parseBadDays } from '../emulator/sources/bad-days';
import { badDaysFile } from './local-state';

export interface BadDayOptions {
  date?: string;
  faults?: string;
  clear?: boolean;
}

/** Applies the options; returns what to print. */
export function switchBadDays(dataDir: string, options: BadDayOptions): string {
  const file = badDaysFile(dataDir);
  const out: string[] = [];
  const current = existsSync(file) ? parseBadDays(readFileSync(file, 'utf8'), file) : {};
  if (options.date && !isIsoDate(options.date))
    throw new Error(`--date ${options.date} is not a date; use YYYY-MM-DD`);
  if (options.clear) {
    if (options.date) delete current[options.date];
    const left = options.date ? current : {};
    if (Object.keys(left).length === 0) rmSync(file, { force: true });
    else writeFileSync(file, format(left));
  } else if (options.date) {
    const faults = (options.faults ?? 'drop-orders').split(/[,+]/).filter(Boolean);
    const entry = `${options.date}=${faults.join('+')}`;
    const parsed = parseBadDays(entry, '--faults');
    writeFileSync(file, format({ ...current, ...parsed }));
  }
  const now = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  out.push(now ? `bad days (${file}):\n${now}` : 'no bad days');
  if (!options.clear && !options.date) {
    out.push(
      `faults: ${Object.entries(BAD_DAY_FAULTS)
        .map(([name, what]) => `${name} (${what})`)
        .join('; ')}`,
    );
  }
  return `${out.join('\n')}\n`;
}

function format(days: Record<string, string[]>): string {
  return `${Object.entries(days)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([date, faults]) => `${date}=${faults.join('+')}`)
    .join('\n')}\n`;
}

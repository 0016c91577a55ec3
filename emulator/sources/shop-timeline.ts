import type { AccountVersion, ShopChange } from './shop-changes';
import { planShopDay } from './shop-day-plan';
import {
  DAY_MS,
  optionsKey,
  resolveShopOptions,
  type ResolvedShopOptions,
  type ShopSimulationOptions,
} from './shop-options';
import { SHOP_TABLES, type ShopRows, type ShopTable } from './shop-schema';
import { emptyWorldState, simulateDay, type DayOutput, type ShopWorldState } from './shop-world';

/** Rows of every shop table at one instant, sorted by primary key. */
export type ShopSnapshot = { [T in ShopTable]: ShopRows[T][] };

/**
 * The simulated history of one seed: days are generated in order from the epoch and kept, so later
 * queries (a daily run, a backfill, a test's expectation) reuse them.
 */
class ShopTimeline {
  private readonly state: ShopWorldState;
  private readonly days: DayOutput[] = [];

  constructor(
    private readonly seed: number,
    readonly options: ResolvedShopOptions,
  ) {
    this.state = emptyWorldState(options.epochMs);
  }

  /** Valid and malformed changes with fromMs <= commit < toMs, in commit order. */
  changesBetween(fromMs: number, toMs: number): ShopChange[] {
    const result: ShopChange[] = [];
    for (const day of this.daysOverlapping(fromMs, toMs)) {
      for (const change of day.changes) {
        const commitMs = change.commitTs.getTime();
        if (commitMs >= fromMs && commitMs < toMs) result.push(change);
      }
    }
    return result;
  }

  /** What a full load at atMs reads: the last valid image of every live key committed before atMs. */
  snapshotAt(atMs: number): ShopSnapshot {
    const live = {} as { [T in ShopTable]: Map<string, ShopRows[T]> };
    for (const table of Object.keys(SHOP_TABLES) as ShopTable[]) live[table] = new Map();
    for (const day of this.daysOverlapping(this.options.epochMs, atMs)) {
      for (const change of day.changes) {
        if (change.malformed || change.commitTs.getTime() >= atMs) continue;
        const rows = live[change.table] as Map<string, ShopRows[ShopTable]>;
        const key = primaryKey(change.table, change.row);
        if (change.op === 'D') rows.delete(key);
        else rows.set(key, change.row);
      }
    }
    const snapshot = {} as ShopSnapshot;
    for (const table of Object.keys(live) as ShopTable[]) {
      const rows = [...(live[table] as Map<string, ShopRows[ShopTable]>).entries()];
      // Keys are zero-padded ASCII: code-unit order is key order, and far cheaper than localeCompare.
      rows.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      (snapshot as Record<ShopTable, unknown[]>)[table] = rows.map(([, row]) => row);
    }
    return snapshot;
  }

  /** The latest version of every CRM account modified before asOfMs, sorted by account id. */
  accountsAt(asOfMs: number): AccountVersion[] {
    const latest = new Map<string, AccountVersion>();
    for (const day of this.daysOverlapping(this.options.epochMs, asOfMs)) {
      for (const version of day.accountVersions) {
        if (version.row.last_modified!.getTime() < asOfMs) latest.set(version.row.account_id!, version);
      }
    }
    return [...latest.values()].sort((a, b) => a.row.account_id!.localeCompare(b.row.account_id!));
  }

  /** A day's commits may spill a few milliseconds into the next day, hence the day before `fromMs`. */
  private daysOverlapping(fromMs: number, toMs: number): DayOutput[] {
    if (toMs <= this.options.epochMs || toMs <= fromMs) return [];
    const lastDay = Math.floor((toMs - 1 - this.options.epochMs) / DAY_MS);
    while (this.days.length <= lastDay) {
      this.days.push(simulateDay(this.state, this.options, this.seed, this.days.length, planShopDay));
    }
    const firstDay = Math.max(0, Math.floor((fromMs - this.options.epochMs) / DAY_MS) - 1);
    return this.days.slice(firstDay, lastDay + 1);
  }
}

/** Primary key as a sortable string (numbers zero-padded). */
function primaryKey(table: ShopTable, row: ShopRows[ShopTable]): string {
  return SHOP_TABLES[table].primaryKey
    .map((column) => String((row as unknown as Record<string, unknown>)[column]).padStart(16, '0'))
    .join('/');
}

const MAX_CACHED_TIMELINES = 4;
const timelines = new Map<string, ShopTimeline>();

function timelineFor(seed: number, options?: ShopSimulationOptions): ShopTimeline {
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const resolved = resolveShopOptions(options);
  const key = `${seed}|${optionsKey(resolved)}`;
  let timeline = timelines.get(key);
  if (timeline) {
    timelines.delete(key);
  } else {
    timeline = new ShopTimeline(seed, resolved);
    if (timelines.size >= MAX_CACHED_TIMELINES) timelines.delete(timelines.keys().next().value!);
  }
  timelines.set(key, timeline);
  return timeline;
}

function instant(name: string, value: Date): number {
  const ms = value instanceof Date ? value.getTime() : NaN;
  if (!Number.isFinite(ms)) throw new Error(`${name} must be a valid Date, got ${String(value)}`);
  return ms;
}

/**
 * Every change the simulated shop database commits in [fromUtc, toUtc), in commit order, malformed
 * ones included (flagged). The same for any split of the range: this is what DMS replicates.
 */
export function shopChangeLog(
  seed: number,
  fromUtc: Date,
  toUtc: Date,
  options?: ShopSimulationOptions,
): ShopChange[] {
  return timelineFor(seed, options).changesBetween(instant('fromUtc', fromUtc), instant('toUtc', toUtc));
}

/** The shop tables as a full load at `atUtc` reads them (valid rows only). */
export function shopSnapshotAt(seed: number, atUtc: Date, options?: ShopSimulationOptions): ShopSnapshot {
  return timelineFor(seed, options).snapshotAt(instant('atUtc', atUtc));
}

/** The CRM accounts as of `asOfUtc`, each with its malformed flag. */
export function crmAccountsAt(
  seed: number,
  asOfUtc: Date,
  options?: ShopSimulationOptions,
): AccountVersion[] {
  return timelineFor(seed, options).accountsAt(instant('asOfUtc', asOfUtc));
}

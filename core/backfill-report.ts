/**
 * What a backfill reports: its `progress` query, its result, and the carried state across
 * continue-as-new all use these shapes. Also the one-line and markdown renderings of it.
 */
import type { BackfillOnly, BackfillOrder, BackfillStage } from './backfill-contracts';
import { detailsPanel, panelText } from './details-panel';

/**
 * A date's state in the backfill. Each date runs as one daily run (`<pipeline>/<date>`):
 * queued: its run not started; ingesting: its run is in the ingest lane (its CDC windows run, one
 * date at a time, oldest first); awaiting-slot: its windows are over and its run waits for one of the
 * `maxConcurrent` data slots; data-phase: its run does its data stages; attached: a run of the date
 * that the backfill did not start is going, and the backfill waits for it; awaiting-merge: its data
 * phase is over and its SCD2 merges wait for the dimension lane; merging: the lane merges it now;
 * finishing: the lane is through with it and its run finishes (stages downstream of the merges).
 * `succeeded` only when every stage of the date, merges included, is done.
 */
export type BackfillDateStatus =
  | 'skipped'
  | 'queued'
  | 'ingesting'
  | 'awaiting-slot'
  | 'data-phase'
  | 'attached'
  | 'awaiting-merge'
  | 'merging'
  | 'finishing'
  | 'succeeded'
  | 'failed'
  | 'cancelled';

/** A `warn` check that tripped in a date's run. */
export interface DateWarning {
  /** `<stage>.<check>`. */
  check: string;
  /** The check's outcome line: measured value and bound. */
  message: string;
}

export interface BackfillDate {
  date: string;
  status: BackfillDateStatus;
  /** The date ran before this backfill, so its run is a rerun. */
  rerun: boolean;
  /** Why it is skipped, why it runs, or why it failed. */
  reason?: string;
  /** Stages done so far, while the date is in progress. */
  done?: string[];
  /** Why a stage of its data phase did not succeed, kept until the date finishes. */
  problem?: string;
  /**
   * The `warn` checks that did not pass in its run: the backfill's one alert at its end lists them
   * (its run sends none of its own).
   */
  warnings?: DateWarning[];
  /** A run of this date was already going: the backfill waited for it instead of starting another. */
  attachedTo?: string;
  /** Its run is open (started or attached, not ended): never carried over a continue-as-new. */
  open?: boolean;
  /** When its run started (workflow time, ms): feeds the ETA. */
  startedMs?: number;
}

export interface BackfillTiming {
  /** Data phases measured (a run's start to its data phase's end). */
  dataRuns: number;
  dataMs: number;
  /** Dates merged by the dimension lane, and the time its merge batches took. */
  mergedDates: number;
  mergeMs: number;
  /** Runs through the ingest lane (start to CDC windows over). */
  ingestRuns: number;
  ingestMs: number;
}

export interface BackfillSettings {
  pipeline: string;
  from: string;
  to: string;
  only: BackfillOnly;
  order: BackfillOrder;
  maxConcurrent: number;
  childrenPerRun: number;
  maxDatesPerMerge: number;
  dryRun: boolean;
}

/** Everything a continued run needs: carried as the second workflow argument. */
export interface BackfillState {
  timeZone: string;
  stages: BackfillStage[];
  /** Ascending by date. */
  dates: BackfillDate[];
  /**
   * Ordered stage (SCD2 merge, DMS window) -> the date whose run of it did not happen: later dates
   * wait so the dimension, or the CDC stream, stays in date order.
   */
  broken: Record<string, string>;
  paused: boolean;
  startedAt: string;
  continuedAsNew: number;
  timing: BackfillTiming;
}

export type BackfillStatus =
  | 'planning'
  | 'dry-run'
  | 'running'
  | 'paused'
  | 'draining'
  | 'cancelling'
  | 'succeeded'
  | 'failed'
  | 'cancelled';

export interface BackfillCounts {
  total: number;
  done: number;
  /** Dates whose run is going (ingest lane, data phase, merging, finishing, or a run waited for). */
  running: number;
  /** Data phase over, waiting for the dimension lane to reach the date. */
  awaitingMerge: number;
  failed: number;
  skipped: number;
  cancelled: number;
  left: number;
}

export interface BackfillProgress {
  settings: BackfillSettings;
  status: BackfillStatus;
  counts: BackfillCounts;
  /** Estimate from the average child run durations so far; absent until one finished. */
  eta?: { remainingMs: number; at: string; averageDataRunMs: number; averageMergeMsPerDate?: number };
  lanes: LanesProgress;
  continuedAsNew: number;
  startedAt: string;
  dates: BackfillDate[];
}

/** Where the two date-ordered lanes are. */
interface LanesProgress {
  /** The next date whose CDC windows run. */
  ingestNext?: string;
  /** The next date the dimension lane merges (the oldest date not through it). */
  dimensionNext?: string;
  /** Ordered stage (SCD2 merge, CDC window) -> the date whose run of it did not happen: later dates wait. */
  broken: Record<string, string>;
}

export function countDates(dates: readonly BackfillDate[]): BackfillCounts {
  const counts: BackfillCounts = {
    total: dates.length,
    done: 0,
    running: 0,
    awaitingMerge: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
    left: 0,
  };
  for (const { status } of dates) {
    if (status === 'succeeded') counts.done++;
    else if (status === 'failed') counts.failed++;
    else if (status === 'skipped') counts.skipped++;
    else if (status === 'cancelled') counts.cancelled++;
    else if (status === 'queued') counts.left++;
    else if (status === 'awaiting-merge') counts.awaitingMerge++;
    else counts.running++;
  }
  return counts;
}

/**
 * Time left: the data phases of queued dates and of dates in or after their CDC windows share the
 * concurrency cap while the windows run one date at a time beside them; the dimension lane merges every date not through it yet, at its
 * average time per date merged.
 */
export function estimateRemainingMs(
  dates: readonly BackfillDate[],
  timing: BackfillTiming,
  maxConcurrent: number,
): number | undefined {
  if (timing.dataRuns === 0) return undefined;
  const average = (ms: number, runs: number) => (runs > 0 ? ms / runs : 0);
  const averageData = timing.dataMs / timing.dataRuns;
  const averageMerge = average(timing.mergeMs, timing.mergedDates);
  const averageIngest = average(timing.ingestMs, timing.ingestRuns);
  const count = (...statuses: BackfillDateStatus[]) =>
    dates.filter((d) => statuses.includes(d.status)).length;
  const queued = count('queued');
  const beforeLane = count(
    'queued',
    'ingesting',
    'awaiting-slot',
    'data-phase',
    'attached',
    'awaiting-merge',
    'merging',
  );
  const running = count('data-phase', 'attached');
  const dataPart =
    ((queued + count('ingesting', 'awaiting-slot') + running / 2) * averageData) / maxConcurrent;
  const ingestPart = queued * averageIngest;
  return Math.round(Math.max(dataPart, ingestPart) + beforeLane * averageMerge);
}

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.max(1, Math.round(ms / 1000))}s`;
  if (minutes < 120) return `${minutes} min`;
  return `${(minutes / 60).toFixed(1)} h`;
}

/** `[#########-----------] 12/31 · 2 running · 1 failed · 3 skipped · 13 left · ETA ~25 min` */
export function progressLine(progress: BackfillProgress, width = 24): string {
  const { counts } = progress;
  const finished = counts.done + counts.failed + counts.skipped + counts.cancelled;
  // Among the running dates: those whose CDC windows are over, waiting for a data slot.
  const awaitingSlot = progress.dates.filter((d) => d.status === 'awaiting-slot').length;
  const running = `${counts.running} running${awaitingSlot > 0 ? ` (${awaitingSlot} awaiting a data slot)` : ''}`;
  const waiting = counts.awaitingMerge > 0 ? [`${counts.awaitingMerge} awaiting merge`] : [];
  const filled = counts.total === 0 ? width : Math.round((finished / counts.total) * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const parts = [
    `${bar} ${finished}/${counts.total}`,
    `${counts.done} done`,
    running,
    ...waiting,
    `${counts.failed} failed`,
    `${counts.skipped} skipped`,
    `${counts.left} left`,
  ];
  if (progress.status !== 'running') parts.push(progress.status);
  if (progress.eta && counts.left + counts.running + counts.awaitingMerge > 0)
    parts.push(`ETA ~${duration(progress.eta.remainingMs)}`);
  return parts.join(' · ');
}

/** Rows of the dates table in the current-details panel: the panel is a few lines high. */
const DATE_ROWS = 10;

const DATE_ICON: Record<BackfillDateStatus, string> = {
  skipped: '⏭️',
  queued: '⏳',
  ingesting: '▶️',
  'awaiting-slot': '⏸️',
  'data-phase': '▶️',
  attached: '▶️',
  'awaiting-merge': '⏸️',
  merging: '▶️',
  finishing: '▶️',
  succeeded: '✅',
  failed: '❌',
  cancelled: '🛑',
};

/**
 * Markdown for the Temporal UI's current-details panel of the backfill: a short header, the progress
 * line, then a table of the dates that need a look (failed first, then those in flight, then the next
 * queued), with what is left out counted, and a footer naming the signals and the query.
 */
export function progressMarkdown(progress: BackfillProgress): string {
  const { settings } = progress;
  const header = `**backfill ${settings.pipeline} ${settings.from}..${settings.to}** · ${progress.status} · only ${settings.only}, ${settings.order} first`;
  const blocks = [header, progressLine(progress, 16)];
  const rank = (d: BackfillDate): number =>
    d.status === 'failed' ? 0 : ['queued', 'skipped', 'succeeded', 'cancelled'].includes(d.status) ? 2 : 1;
  const shown = progress.dates
    .filter((d) => d.status !== 'succeeded' && d.status !== 'skipped' && d.status !== 'cancelled')
    .sort((a, b) => rank(a) - rank(b) || a.date.localeCompare(b.date))
    .slice(0, DATE_ROWS);
  if (shown.length > 0) {
    const rows = shown.map(
      (d) => `| ${d.date} | ${DATE_ICON[d.status]} ${d.status} | ${cell(d.reason ?? d.problem ?? '')} |`,
    );
    const more = progress.dates.length - shown.length;
    blocks.push(['| date | state | why |', '|---|---|---|', ...rows].join('\n'));
    if (more > 0)
      blocks.push(`${more} more dates (done, skipped or later): the \`progress\` query lists all`);
  }
  for (const [stage, date] of Object.entries(progress.lanes.broken))
    blocks.push(`⛔ ${stage} stopped at ${date}: later dates wait so it stays in date order`);
  return detailsPanel(blocks, BACKFILL_FOOTER);
}

/** What an operator can do from the workflow page: More Actions → Send a Signal, or Queries. */
const BACKFILL_FOOTER = 'signals `pause` · `resume` · `cancel` · the `progress` query lists every date';

function cell(text: string): string {
  return panelText(text, 120);
}

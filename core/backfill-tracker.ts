/**
 * The bookkeeping of a backfill: which date is where (queued, in the ingest lane, data phase, waiting
 * for the dimension lane, merging, finishing, finished), which CDC streams or dimensions a failed date
 * stopped, and which date goes next in each lane. Pure and deterministic: the workflow starts the
 * runs and the merges and feeds what happened back.
 */
import type { BackfillDescription } from './backfill-contracts';
import type {
  BackfillDate,
  BackfillDateStatus,
  BackfillProgress,
  BackfillSettings,
  BackfillState,
  BackfillStatus,
} from './backfill-report';
import { countDates, estimateRemainingMs } from './backfill-report';
import { decideDate, processingOrder } from './backfill-selection';
import { type MergePlan, orderedIngestStageIds, planMerges, unmergedDimensions } from './backfill-stages';

const FINISHED = new Set<BackfillDateStatus>(['skipped', 'succeeded', 'failed', 'cancelled']);
/** Through the dimension lane: the lane's head is the oldest date not in these. */
const THROUGH_DIMENSION_LANE = new Set<BackfillDateStatus>([...FINISHED, 'finishing']);
/**
 * Dates whose run takes one of the `maxConcurrent` data slots: their Glue, EMR, AppFlow and Redshift
 * stages run. A date in the ingest lane takes none: the lane runs one window at a time anyway.
 */
const IN_DATA_WORK = new Set<BackfillDateStatus>(['data-phase', 'attached']);

export function initialBackfillState(
  description: BackfillDescription,
  settings: BackfillSettings,
  startedAt: string,
): BackfillState {
  const stageIds = description.stages.map((s) => s.id);
  const dates = [...description.dates]
    .sort((a, b) => a.date.localeCompare(b.date))
    .map((state): BackfillDate => {
      const decision = decideDate(state, stageIds, settings.only);
      if (decision.action === 'skip') {
        return { date: state.date, status: 'skipped', rerun: state.ran, reason: decision.reason };
      }
      return {
        date: state.date,
        status: 'queued',
        rerun: decision.action === 'rerun',
        reason: decision.reason,
        // `all` redoes every stage: nothing done before counts.
        done: settings.only === 'all' ? [] : state.done,
      };
    });
  return {
    timeZone: description.timeZone,
    stages: description.stages,
    dates,
    broken: {},
    paused: false,
    startedAt,
    continuedAsNew: 0,
    timing: { dataRuns: 0, dataMs: 0, mergedDates: 0, mergeMs: 0, ingestRuns: 0, ingestMs: 0 },
  };
}

export class BackfillTracker {
  /** The CDC window stages (DMS): their runs go one date at a time, oldest first. */
  readonly ingestLaneStages: readonly string[];

  constructor(
    readonly state: BackfillState,
    readonly settings: BackfillSettings,
  ) {
    this.ingestLaneStages = orderedIngestStageIds(state.stages);
  }

  /** Dates taking a data slot: in their data phase, or waited for. */
  get inDataWork(): number {
    return this.state.dates.filter((d) => IN_DATA_WORK.has(d.status)).length;
  }

  /** Dates whose run is open (started or attached, not ended yet). */
  get openRuns(): BackfillDate[] {
    return this.state.dates.filter((d) => d.open);
  }

  get finished(): boolean {
    return this.state.dates.every((d) => FINISHED.has(d.status));
  }

  get failed(): BackfillDate[] {
    return this.state.dates.filter((d) => d.status === 'failed');
  }

  needsIngest(entry: BackfillDate): boolean {
    const done = new Set(entry.done ?? []);
    return this.ingestLaneStages.some((id) => !done.has(id));
  }

  /**
   * The oldest queued date whose CDC windows are still to run, unless a date is in the ingest lane now
   * or `maxConcurrent` dates wait for a data slot after their windows (so windows run at most that
   * far ahead of the data phases, and a year's dates do not pile up with runs open).
   */
  ingestLaneHead(): BackfillDate | undefined {
    if (this.state.dates.some((d) => d.status === 'ingesting')) return undefined;
    if (this.awaitingSlot().length >= this.settings.maxConcurrent) return undefined;
    return this.state.dates.find((d) => d.status === 'queued' && this.needsIngest(d));
  }

  /** Why the windows of this date must not run: an earlier date's window of the same task did not. */
  ingestBlockedBy(entry: BackfillDate): string | undefined {
    const done = new Set(entry.done ?? []);
    const stage = this.ingestLaneStages.find((id) => !done.has(id) && this.state.broken[id]);
    return stage
      ? `${stage} not run: ${stage} of ${this.state.broken[stage]} did not run; ` +
          'CDC windows run in date order, so later windows wait'
      : undefined;
  }

  /**
   * A date whose windows must not run gets no run: later windows of the same stages must not run
   * either. It waits for the dimension lane, which fails it in date order (failing it here would
   * stop the merges of earlier dates still on their way).
   */
  failIngest(entry: BackfillDate, problem: string): void {
    this.markBrokenWindows(entry);
    entry.status = 'awaiting-merge';
    entry.problem = problem;
  }

  /** Dates whose windows are over and whose runs wait for a data slot, oldest first. */
  awaitingSlot(): BackfillDate[] {
    return this.state.dates.filter((d) => d.status === 'awaiting-slot');
  }

  /** The date got a data slot: its run goes on with its data phase, timed from now. */
  slotGranted(entry: BackfillDate, nowMs: number): void {
    entry.status = 'data-phase';
    entry.startedMs = nowMs;
  }

  /** The next queued date whose CDC windows are done, in the requested order (`oldestFirst` overrides it). */
  nextDataPhase(oldestFirst = false): BackfillDate | undefined {
    return processingOrder(
      this.state.dates.filter((d) => d.status === 'queued' && !this.needsIngest(d)),
      oldestFirst ? 'oldest' : this.settings.order,
    )[0];
  }

  /** Its run started: in the ingest lane when its windows are to run, else straight in its data phase (with a slot). */
  started(entry: BackfillDate, nowMs: number): void {
    entry.status = this.needsIngest(entry) ? 'ingesting' : 'data-phase';
    entry.open = true;
    entry.startedMs = nowMs;
  }

  /** A run of the date was already going: the backfill waits for it (in the ingest lane, the lane waits too). */
  attached(entry: BackfillDate, to: string): void {
    if (entry.status !== 'ingesting') entry.status = 'attached';
    entry.attachedTo = to;
  }

  /**
   * The date's CDC windows are over: its run waits for a data slot before its data phase; windows not
   * done stop later dates'.
   */
  ingestLaneDone(entry: BackfillDate, done: readonly string[], nowMs: number, problem?: string): void {
    if (entry.status !== 'ingesting') return;
    this.addDone(entry, done);
    this.state.timing.ingestRuns++;
    this.state.timing.ingestMs += nowMs - (entry.startedMs ?? nowMs);
    entry.status = 'awaiting-slot';
    if (this.needsIngest(entry)) {
      this.markBrokenWindows(entry);
      if (problem) entry.problem = problem;
    }
  }

  /** The date's data phase is over: it waits for the dimension lane (its run waits too when `open`). */
  dataPhaseDone(entry: BackfillDate, done: readonly string[], nowMs: number, problem?: string): void {
    if (entry.status === 'ingesting') this.ingestLaneDone(entry, done, nowMs, problem);
    if (!['awaiting-slot', 'data-phase', 'attached'].includes(entry.status)) return;
    this.addDone(entry, done);
    if (problem) entry.problem = problem;
    if (entry.startedMs !== undefined) {
      this.state.timing.dataRuns++;
      this.state.timing.dataMs += nowMs - entry.startedMs;
    }
    entry.status = 'awaiting-merge';
  }

  /** The date's run ended with these stages done; where the date is decides what that means. */
  runEnded(entry: BackfillDate, done: readonly string[], nowMs: number, problem?: string): void {
    entry.open = false;
    switch (entry.status) {
      case 'ingesting':
      case 'awaiting-slot':
      case 'data-phase':
      case 'attached':
        this.dataPhaseDone(entry, done, nowMs, problem);
        return;
      case 'finishing':
        // The run's own failure message repeats what the date's problem says already.
        this.finish(entry, done, problem && !entry.problem ? [problem] : []);
        return;
      default:
        // Ended while waiting for the lane or being merged (terminated, reset): the lane finishes it.
        this.addDone(entry, done);
        if (problem) entry.problem = problem;
    }
  }

  /** Planning refused a first run (the date ran after the backfill read its markers): run it as a rerun. */
  requeueAsRerun(entry: BackfillDate, done: readonly string[]): void {
    entry.status = 'queued';
    entry.open = false;
    entry.rerun = true;
    entry.done = this.settings.only === 'all' ? [] : [...done];
  }

  /** The oldest date not through the dimension lane yet: merges go strictly in date order. */
  dimensionLaneHead(): BackfillDate | undefined {
    return this.state.dates.find((d) => !THROUGH_DIMENSION_LANE.has(d.status));
  }

  /**
   * The dates after `head` that merge with it in one batch: consecutive, each waiting for the lane
   * with its run open and the same merges to run (`sameMerges`), at most `maxDatesPerMerge` in all.
   */
  dimensionLaneBatch(head: BackfillDate, sameMerges: (entry: BackfillDate) => boolean): BackfillDate[] {
    const batch = [head];
    for (let i = this.state.dates.indexOf(head) + 1; i < this.state.dates.length; i++) {
      const entry = this.state.dates[i]!;
      if (batch.length >= this.settings.maxDatesPerMerge) break;
      if (entry.status !== 'awaiting-merge' || !entry.open || !sameMerges(entry)) break;
      batch.push(entry);
    }
    return batch;
  }

  planDimensionMerges(entry: BackfillDate): MergePlan {
    return planMerges(this.state.stages, new Set(entry.done), this.state.broken);
  }

  startMerging(batch: readonly BackfillDate[]): void {
    for (const entry of batch) entry.status = 'merging';
  }

  mergeTimed(dates: number, ms: number): void {
    this.state.timing.mergedDates += dates;
    this.state.timing.mergeMs += ms;
  }

  /**
   * The dimension lane is through with a date: the dimensions it did not merge stop later dates. With
   * its run open the date finishes when the run ends; otherwise now.
   */
  throughDimensionLane(entry: BackfillDate, merged: readonly string[], problems: string[] = []): void {
    this.addDone(entry, merged);
    for (const dimension of unmergedDimensions(this.state.stages, new Set(entry.done))) {
      this.state.broken[dimension] ??= entry.date;
    }
    if (problems.length > 0) entry.problem = [entry.problem, ...problems].filter(Boolean).join(' — ');
    if (entry.open) entry.status = 'finishing';
    else this.finish(entry, [], []);
  }

  /** Succeeded when every stage is done, merges included; otherwise failed, saying what is not done and why. */
  private finish(entry: BackfillDate, done: readonly string[], problems: string[]): void {
    const all = new Set([...(entry.done ?? []), ...done]);
    const notDone = this.state.stages.filter((s) => !all.has(s.id)).map((s) => s.id);
    const problem = entry.problem;
    delete entry.done;
    delete entry.problem;
    delete entry.startedMs;
    entry.open = false;
    if (notDone.length === 0) {
      entry.status = 'succeeded';
      return;
    }
    entry.status = 'failed';
    entry.reason = [`not done: ${notDone.join(', ')}`, ...(problem ? [problem] : []), ...problems]
      .filter((p, i, all) => all.indexOf(p) === i)
      .join(' — ');
  }

  cancel(entry: BackfillDate, why: string): void {
    entry.status = 'cancelled';
    entry.reason = why;
    entry.open = false;
    delete entry.done;
    delete entry.problem;
    delete entry.startedMs;
  }

  /** After a cancel: dates with no run left are cancelled too. */
  cancelWaiting(): void {
    for (const d of this.state.dates) {
      if (d.status === 'queued') this.cancel(d, 'the backfill was cancelled before this date started');
      else if (!FINISHED.has(d.status)) {
        this.cancel(d, 'the backfill was cancelled before this date’s dimension merges ran');
      }
    }
  }

  progress(status: BackfillStatus, now: number): BackfillProgress {
    const remainingMs = estimateRemainingMs(this.state.dates, this.state.timing, this.settings.maxConcurrent);
    const { timing } = this.state;
    const ingestNext = this.state.dates.find(
      (d) => d.status === 'ingesting' || (d.status === 'queued' && this.needsIngest(d)),
    );
    const dimensionNext = this.dimensionLaneHead();
    return {
      settings: this.settings,
      status,
      counts: countDates(this.state.dates),
      ...(remainingMs !== undefined
        ? {
            eta: {
              remainingMs,
              at: new Date(now + remainingMs).toISOString(),
              averageDataRunMs: Math.round(timing.dataMs / timing.dataRuns),
              ...(timing.mergedDates > 0
                ? { averageMergeMsPerDate: Math.round(timing.mergeMs / timing.mergedDates) }
                : {}),
            },
          }
        : {}),
      lanes: {
        ...(ingestNext ? { ingestNext: ingestNext.date } : {}),
        ...(dimensionNext ? { dimensionNext: dimensionNext.date } : {}),
        broken: { ...this.state.broken },
      },
      continuedAsNew: this.state.continuedAsNew,
      startedAt: this.state.startedAt,
      dates: this.state.dates.map(
        ({ done: _done, problem: _problem, open: _open, startedMs: _startedMs, ...rest }) => rest,
      ),
    };
  }

  private addDone(entry: BackfillDate, done: readonly string[]): void {
    entry.done = [...new Set([...(entry.done ?? []), ...done])];
  }

  private markBrokenWindows(entry: BackfillDate): void {
    const done = new Set(entry.done ?? []);
    for (const id of this.ingestLaneStages) if (!done.has(id)) this.state.broken[id] ??= entry.date;
  }
}

/**
 * The bookkeeping of a backfill: which date is where (queued, CDC windows in the ingest lane, data
 * phase, waiting for the dimension lane, merging, finished), which dimensions or CDC streams a failed
 * date stopped, and what to start next. Pure and deterministic: the workflow does the starting and
 * feeds outcomes back.
 */
import type { BackfillDescription } from './backfill-contracts';
import type {
  BackfillDate,
  BackfillProgress,
  BackfillSettings,
  BackfillState,
  BackfillStatus,
} from './backfill-report';
import { countDates, estimateRemainingMs } from './backfill-report';
import { decideDate, processingOrder } from './backfill-selection';
import {
  dataPhaseDone,
  type MergePlan,
  orderedIngestStageIds,
  planMerges,
  unmergedDimensions,
} from './backfill-stages';

const FINISHED = new Set(['skipped', 'succeeded', 'failed', 'cancelled']);

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
    timing: { dataRuns: 0, dataMs: 0, laneRuns: 0, laneMs: 0 },
  };
}

const IN_FLIGHT = new Set(['ingesting', 'running', 'merging']);

export interface TrackerOptions {
  /**
   * Run the CDC windows (DMS stages) of the dates in an ingest lane, one date at a time, oldest first,
   * before each date's data phase. Off only when replaying backfills started before the lane existed.
   */
  orderedIngest: boolean;
}

export class BackfillTracker {
  private readonly ingestStages: string[];

  constructor(
    readonly state: BackfillState,
    readonly settings: BackfillSettings,
    options: TrackerOptions = { orderedIngest: true },
  ) {
    this.ingestStages = options.orderedIngest ? orderedIngestStageIds(state.stages) : [];
  }

  get inFlight(): number {
    return this.state.dates.filter((d) => IN_FLIGHT.has(d.status)).length;
  }

  /** The ordered ingest stages the data phase must not run itself: the ingest lane runs them. */
  get laneIngestStages(): readonly string[] {
    return this.ingestStages;
  }

  get finished(): boolean {
    return this.state.dates.every((d) => FINISHED.has(d.status));
  }

  get failed(): BackfillDate[] {
    return this.state.dates.filter((d) => d.status === 'failed');
  }

  /** The next date whose data phase may start, in the requested order: its CDC windows are done. */
  nextData(): BackfillDate | undefined {
    return processingOrder(
      this.state.dates.filter((d) => d.status === 'queued' && !this.needsIngest(d)),
      this.settings.order,
    )[0];
  }

  needsIngest(entry: BackfillDate): boolean {
    const done = new Set(entry.done ?? []);
    return this.ingestStages.some((id) => !done.has(id));
  }

  /** The oldest date whose CDC windows are still to run, unless the windows of one are running now. */
  ingestHead(): BackfillDate | undefined {
    if (this.state.dates.some((d) => d.status === 'ingesting')) return undefined;
    return this.state.dates.find((d) => d.status === 'queued' && this.needsIngest(d));
  }

  /** Why the windows of this date must not run: an earlier date's window of the same task did not. */
  ingestBlockedBy(entry: BackfillDate): string | undefined {
    const done = new Set(entry.done ?? []);
    const stage = this.ingestStages.find((id) => !done.has(id) && this.state.broken[id]);
    return stage
      ? `${stage} not run: ${stage} of ${this.state.broken[stage]} did not run; ` +
          'CDC windows run in date order, so later windows wait'
      : undefined;
  }

  startIngest(entry: BackfillDate): void {
    entry.status = 'ingesting';
  }

  /**
   * The ingest lane is through with a date: with its windows done it is queued for its data phase;
   * otherwise it fails, and later windows of those stages wait.
   */
  ingestFinished(entry: BackfillDate, done: readonly string[], elapsedMs?: number, problem?: string): void {
    entry.done = [...new Set([...(entry.done ?? []), ...done])];
    if (elapsedMs !== undefined) {
      this.state.timing.ingestRuns = (this.state.timing.ingestRuns ?? 0) + 1;
      this.state.timing.ingestMs = (this.state.timing.ingestMs ?? 0) + elapsedMs;
    }
    if (!this.needsIngest(entry)) {
      entry.status = 'queued';
      return;
    }
    this.failIngest(entry, problem ? [problem] : []);
  }

  /**
   * A date whose windows did not run: later windows of the same stages must not run either. The date
   * skips its data phase and waits for the dimension lane, which fails it in date order (failing it
   * here would stop the merges of earlier dates still on their way).
   */
  failIngest(entry: BackfillDate, problems: string[]): void {
    const done = new Set(entry.done ?? []);
    for (const id of this.ingestStages) if (!done.has(id)) this.state.broken[id] ??= entry.date;
    entry.status = 'merge-queued';
    if (problems.length > 0) entry.problem = problems.join(' — ');
  }

  /** The oldest date not through the dimension lane yet: merges go strictly in date order. */
  laneHead(): BackfillDate | undefined {
    return this.state.dates.find((d) => !FINISHED.has(d.status));
  }

  /** `all` reruns every stage; otherwise a date whose data stages are all done goes to the lane directly. */
  needsDataPhase(entry: BackfillDate): boolean {
    return this.settings.only === 'all' || !dataPhaseDone(this.state.stages, new Set(entry.done));
  }

  startData(entry: BackfillDate): void {
    entry.status = 'running';
  }

  /** The data phase ended (or was not needed): the date waits for its turn in the lane. */
  dataFinished(entry: BackfillDate, done: readonly string[], elapsedMs?: number, problem?: string): void {
    entry.status = 'merge-queued';
    entry.done = [...new Set([...(entry.done ?? []), ...done])];
    if (problem) entry.problem = problem;
    if (elapsedMs !== undefined) {
      this.state.timing.dataRuns++;
      this.state.timing.dataMs += elapsedMs;
    }
  }

  planLane(entry: BackfillDate): MergePlan {
    return planMerges(this.state.stages, new Set(entry.done), this.state.broken);
  }

  startLane(entry: BackfillDate): void {
    entry.status = 'merging';
  }

  /** The lane is through with a date: succeeded when every stage is done; its unmerged dimensions stop later dates. */
  finish(entry: BackfillDate, done: readonly string[], elapsedMs?: number, problems: string[] = []): void {
    const all = new Set([...(entry.done ?? []), ...done]);
    if (elapsedMs !== undefined) {
      this.state.timing.laneRuns++;
      this.state.timing.laneMs += elapsedMs;
    }
    for (const dimension of unmergedDimensions(this.state.stages, all)) {
      this.state.broken[dimension] ??= entry.date;
    }
    const notDone = this.state.stages.filter((s) => !all.has(s.id)).map((s) => s.id);
    const problem = entry.problem;
    delete entry.done;
    delete entry.problem;
    if (notDone.length === 0) {
      entry.status = 'succeeded';
      return;
    }
    entry.status = 'failed';
    entry.reason = [`not done: ${notDone.join(', ')}`, ...(problem ? [problem] : []), ...problems].join(
      ' — ',
    );
  }

  cancel(entry: BackfillDate, why: string): void {
    entry.status = 'cancelled';
    entry.reason = why;
    delete entry.done;
    delete entry.problem;
  }

  /** After a cancel: dates still waiting for their data phase or their merges are cancelled too. */
  cancelWaiting(): void {
    for (const d of this.state.dates) {
      if (d.status === 'queued') this.cancel(d, 'the backfill was cancelled before this date started');
      if (d.status === 'merge-queued') {
        this.cancel(d, 'the backfill was cancelled before this date’s dimension merges ran');
      }
    }
  }

  progress(status: BackfillStatus, now: number): BackfillProgress {
    const remainingMs = estimateRemainingMs(this.state.dates, this.state.timing, this.settings.maxConcurrent);
    const { timing } = this.state;
    const next = this.laneHead();
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
              ...(timing.laneRuns > 0
                ? { averageMergeRunMs: Math.round(timing.laneMs / timing.laneRuns) }
                : {}),
            },
          }
        : {}),
      lane: { ...(next ? { next: next.date } : {}), broken: { ...this.state.broken } },
      continuedAsNew: this.state.continuedAsNew,
      startedAt: this.state.startedAt,
      dates: this.state.dates.map(({ done: _done, problem: _problem, ...rest }) => rest),
    };
  }
}

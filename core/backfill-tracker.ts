/**
 * The bookkeeping of a backfill: which date is where (queued, data phase, waiting for the dimension
 * lane, merging, finished), which dimensions a failed merge stopped, and what to start next. Pure
 * and deterministic: the workflow does the starting and feeds outcomes back.
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
import { dataPhaseDone, type MergePlan, planMerges, unmergedDimensions } from './backfill-stages';

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

export class BackfillTracker {
  constructor(
    readonly state: BackfillState,
    readonly settings: BackfillSettings,
  ) {}

  get inFlight(): number {
    return this.state.dates.filter((d) => d.status === 'running' || d.status === 'merging').length;
  }

  get finished(): boolean {
    return this.state.dates.every((d) => FINISHED.has(d.status));
  }

  get failed(): BackfillDate[] {
    return this.state.dates.filter((d) => d.status === 'failed');
  }

  /** The next date whose data phase may start, in the requested order. */
  nextData(): BackfillDate | undefined {
    return processingOrder(
      this.state.dates.filter((d) => d.status === 'queued'),
      this.settings.order,
    )[0];
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

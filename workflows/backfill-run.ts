/**
 * One workflow run of a backfill, from its (fresh or carried) state to the end or to continue-as-new:
 * starts one daily run per date under the cap, moves the ingest and dimension lanes on as the runs
 * report (signals), merges in the dimension lane, reacts to pause/resume/cancel, publishes progress.
 */
import { workflowNowMs } from './workflow-clock';
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { dailyRunId } from '../core/activity-contracts';
import type { BackfillInput } from '../core/backfill-contracts';
import type { DimensionLaneTurn, MergeRequest } from '../core/backfill-lanes';
import type {
  BackfillDate,
  BackfillProgress,
  BackfillSettings,
  BackfillState,
  BackfillStatus,
} from '../core/backfill-report';
import { progressMarkdown } from '../core/backfill-report';
import type { BackfillTracker } from '../core/backfill-tracker';
import { searchAttributeKeys } from '../core/search-attributes';
import {
  type DateRunInput,
  outcomeOf,
  type RunOutcome,
  startDateRun,
  waitForOtherRun,
} from './backfill-children';
import { cancelBackfillSignal, pauseBackfillSignal, resumeBackfillSignal } from './backfill-signals';
import { runMergeBatch } from './dimension-lane-batch';
import { describeFailure } from './failure-text';
import { backfillAlertRequest, sendAlerts } from './run-alerts';
import {
  dataPhaseDoneSignal,
  dataSlotSignal,
  dimensionLaneTurnSignal,
  ingestLaneDoneSignal,
} from './lane-signals';

/** The signature of `backfill` (workflows/backfill.ts), which a continue-as-new starts again. */
type BackfillWorkflow = (input: BackfillInput, carried?: BackfillState) => Promise<BackfillProgress>;

/** The failure message names this many failed dates; the details carry all of them. */
const FAILED_DATES_IN_MESSAGE = 3;

export class BackfillRun {
  private readonly children = new CancellationScope();
  /** Per date whose run waits for the dimension lane: the merges it handed over. */
  private readonly mergeRequests = new Map<string, MergeRequest[]>();
  private mergeBatchRunning = false;
  private dirty = false;
  private cancelRequested = false;
  private draining = false;
  private startedThisRun = 0;
  private publishedStatus: string | undefined;

  constructor(
    private readonly tracker: BackfillTracker,
    private readonly settings: BackfillSettings,
    private readonly input: BackfillInput,
    private readonly markersOf: (date: string) => Promise<string[]>,
  ) {}

  private get state(): BackfillState {
    return this.tracker.state;
  }

  private status(): BackfillStatus {
    if (this.cancelRequested) return 'cancelling';
    if (this.state.paused) return 'paused';
    return this.draining ? 'draining' : 'running';
  }

  async execute(reportStatus: (status: BackfillStatus) => void): Promise<BackfillProgress> {
    const wake = () => {
      this.dirty = true;
    };
    setHandler(pauseBackfillSignal, () => {
      this.state.paused = true;
      wake();
    });
    setHandler(resumeBackfillSignal, () => {
      this.state.paused = false;
      wake();
    });
    // The `cancel` signal asks Temporal to cancel this backfill, as the UI's Cancel button does: the
    // runs stop their AWS jobs, and the backfill ends Cancelled (only a requested cancellation can).
    setHandler(cancelBackfillSignal, () => {
      const { workflowId, runId } = workflowInfo();
      this.cancelRequested = true;
      wake();
      // Settles after the cancellation it asked for has reached this run: nothing left to handle.
      getExternalWorkflowHandle(workflowId, runId)
        .cancel()
        .catch(() => undefined);
    });
    setHandler(ingestLaneDoneSignal, ({ date, done, problem }) => {
      const entry = this.openRun(date);
      if (entry) this.tracker.ingestLaneDone(entry, done, workflowNowMs(), problem);
      // A run the lane is not waiting for (a repeated signal, a reset run) must not wait for a slot.
      if (entry?.status !== 'awaiting-slot') this.grantSlotSignal(date);
      wake();
    });
    setHandler(dataPhaseDoneSignal, ({ date, done, problem, merges }) => {
      const entry = this.openRun(date);
      if (entry && ['ingesting', 'awaiting-slot', 'data-phase', 'awaiting-merge'].includes(entry.status)) {
        this.tracker.dataPhaseDone(entry, done, workflowNowMs(), problem);
        this.mergeRequests.set(date, merges);
      } else if (entry?.status !== 'merging') {
        // The lane is past this date (its run was reset after its turn): the run merges by itself.
        this.signalRun(date, { merged: {}, failed: {}, blocked: {}, runAlone: true });
      }
      wake();
    });
    const publish = (status: BackfillStatus) => {
      reportStatus(status);
      this.publish(status);
    };

    try {
      for (;;) {
        if (!this.draining && this.shouldContinueAsNew()) this.draining = true;
        if (!this.cancelRequested) this.launch();
        publish(this.status());
        if (this.openWork === 0) {
          if (this.cancelRequested || this.tracker.finished) break;
          if (this.draining) {
            this.state.continuedAsNew++;
            return await continueAsNew<BackfillWorkflow>(this.input, this.state);
          }
        }
        await condition(() => this.dirty);
        this.dirty = false;
      }
    } catch (error) {
      if (!isCancellation(error)) throw error;
      // Cancelled from outside (UI, `temporal workflow cancel`): the runs were cancelled with us.
      this.cancelRequested = true;
      publish('cancelling');
      await CancellationScope.nonCancellable(() => condition(() => this.openWork === 0));
      this.tracker.cancelWaiting();
      publish('cancelled');
      throw error;
    }

    if (this.cancelRequested) {
      this.tracker.cancelWaiting();
      publish('cancelled');
      return this.tracker.progress('cancelled', workflowNowMs());
    }
    const failed = this.tracker.failed;
    const final: BackfillStatus = failed.length > 0 ? 'failed' : 'succeeded';
    publish(final);
    // One alert for the whole backfill, listing its failed dates and the dates whose warn checks
    // tripped (its runs sent none), or the recovery of what an earlier backfill of this range alerted.
    await sendAlerts(backfillAlertRequest(this.settings, this.state.dates));
    const progress = this.tracker.progress(final, workflowNowMs());
    if (failed.length > 0) {
      throw ApplicationFailure.create({
        type: 'BackfillFailed',
        nonRetryable: true,
        message:
          `${failed.length} of ${progress.counts.total} dates failed: ` +
          failed
            .slice(0, FAILED_DATES_IN_MESSAGE)
            .map((d) => `${d.date} (${d.reason ?? 'failed'})`)
            .join('; ') +
          (failed.length > FAILED_DATES_IN_MESSAGE
            ? `; and ${failed.length - FAILED_DATES_IN_MESSAGE} more (every date with its reason: the failure details or the progress query)`
            : '') +
          '. Fix the cause, then run the backfill again: its default "only": "missing" picks up every date ' +
          'not done, including those held back without a run.',
        details: [progress],
      });
    }
    return progress;
  }

  /** The date, when its run is open (a signal from any other run of it is not for this backfill). */
  private openRun(date: string): BackfillDate | undefined {
    const entry = this.state.dates.find((d) => d.date === date);
    return entry?.open ? entry : undefined;
  }

  private shouldContinueAsNew(): boolean {
    return this.startedThisRun >= this.settings.childrenPerRun || workflowInfo().continueAsNewSuggested;
  }

  /** Runs open, and the merge batch when one runs: the run may end or continue as new only at zero. */
  private get openWork(): number {
    return this.tracker.openRuns.length + (this.mergeBatchRunning ? 1 : 0);
  }

  /** A data slot under the cap: dates in their data phase, and a merge batch, take one each. */
  private slotFree(): boolean {
    return (
      !this.state.paused &&
      !this.cancelRequested &&
      this.tracker.inDataWork + (this.mergeBatchRunning ? 1 : 0) < this.settings.maxConcurrent
    );
  }

  /**
   * Draining for continue-as-new starts no date, except dates older than a date whose run is open:
   * that run waits for their merges, so without them it could never end.
   */
  private mayStart(entry: BackfillDate): boolean {
    return !this.draining || this.tracker.openRuns.some((d) => d.date > entry.date);
  }

  /**
   * The ingest lane needs no data slot: its CDC windows, the longest serial chain of a backfill, go
   * one after the other as long as at most `maxConcurrent` dates wait for a slot after theirs. The
   * data slots go to those dates (oldest first), then to dates whose windows ran before; the
   * dimension lane takes a slot left over. Dates waiting for a slot go before a merge batch because
   * while they wait the ingest lane stops at its bound, whereas merges that wait catch up in one
   * larger batch (a date waiting for its merges holds no slot). A full batch (`maxDatesPerMerge`
   * dates ready) goes first: waiting would not make it larger, and merges never fall further behind
   * than one batch (with `maxDatesPerMerge` 1 the dimension lane always goes first).
   */
  private launch(): void {
    this.advanceDimensionLane({ fullBatchOnly: true });
    while (this.slotFree() && (this.grantDataSlot() || this.startDataPhase()));
    while (!this.state.paused && !this.cancelRequested && this.advanceIngestLane());
    this.advanceDimensionLane({ fullBatchOnly: false });
  }

  /** Gives the oldest date waiting after its CDC windows a data slot: its run goes on. */
  private grantDataSlot(): boolean {
    const entry = this.tracker.awaitingSlot()[0];
    if (!entry) return false;
    this.tracker.slotGranted(entry, workflowNowMs());
    this.grantSlotSignal(entry.date);
    return true;
  }

  /** By workflow id alone, as the dimension lane's turn. */
  private grantSlotSignal(date: string): void {
    getExternalWorkflowHandle(dailyRunId(this.settings.pipeline, date))
      .signal(dataSlotSignal)
      .catch(() => undefined);
  }

  private startDataPhase(): boolean {
    const entry = this.tracker.nextDataPhase(this.draining);
    if (!entry || !this.mayStart(entry)) return false;
    this.startRun(entry);
    return true;
  }

  /**
   * The ingest lane, one date at a time, oldest first: each date's CDC windows start where the previous
   * date's stopped. Starts the run of the next date (it runs its windows, then its data phase), or
   * holds back a date whose windows must not run; false when there is nothing to do or a date's
   * windows are running.
   */
  private advanceIngestLane(): boolean {
    const head = this.tracker.ingestLaneHead();
    if (!head) return false;
    const blocked = this.tracker.ingestBlockedBy(head);
    if (blocked) {
      this.tracker.failIngest(head, blocked);
      return true;
    }
    if (!this.mayStart(head)) return false;
    this.startRun(head);
    return true;
  }

  /**
   * The dimension lane, oldest date first: merges the next dates whose data phase is done, up to
   * `maxDatesPerMerge` consecutive dates in one batch, and tells each date's run how it went. A date
   * with nothing the lane can merge goes through at once (its unmerged dimensions stop later dates).
   */
  private advanceDimensionLane({ fullBatchOnly }: { fullBatchOnly: boolean }): void {
    if (this.mergeBatchRunning || this.state.paused || this.cancelRequested) return;
    for (;;) {
      const head = this.tracker.dimensionLaneHead();
      if (!head || head.status !== 'awaiting-merge') return;
      const plan = this.tracker.planDimensionMerges(head);
      const toMerge = this.mergesOf(head, plan.run);
      const blocked = plan.blocked.map((b) => `${b.stage} not run: ${b.reason}`);
      if (toMerge.length === 0) {
        this.tellRun(head, {
          merged: {},
          failed: {},
          blocked: Object.fromEntries(plan.blocked.map((b) => [b.stage, `not run: ${b.reason}`])),
        });
        this.tracker.throughDimensionLane(head, [], blocked);
        continue;
      }
      if (!this.slotFree()) return;
      const ids = toMerge.map((r) => r.stageId).join(',');
      const batch = this.tracker.dimensionLaneBatch(head, (entry) => {
        const next = this.tracker.planDimensionMerges(entry);
        return (
          this.mergesOf(entry, next.run)
            .map((r) => r.stageId)
            .join(',') === ids
        );
      });
      if (fullBatchOnly && batch.length < this.settings.maxDatesPerMerge) return;
      this.runMergeBatch(batch, toMerge, blocked);
      return;
    }
  }

  /** The merges the date's run handed over that the lane may run now. */
  private mergesOf(entry: BackfillDate, runnable: readonly string[]): MergeRequest[] {
    if (!entry.open) return [];
    return (this.mergeRequests.get(entry.date) ?? []).filter((r) => runnable.includes(r.stageId));
  }

  private runMergeBatch(batch: BackfillDate[], toMerge: MergeRequest[], blocked: string[]): void {
    this.tracker.startMerging(batch);
    this.mergeBatchRunning = true;
    const startedMs = workflowNowMs();
    const stageOf = new Map(this.state.stages.map((s) => [s.id, s]));
    const work = async () => {
      try {
        const turns = await runMergeBatch(
          this.settings.pipeline,
          batch.map((entry) => ({ date: entry.date, requests: this.mergeRequests.get(entry.date) ?? [] })),
          toMerge.map((r) => ({ id: r.stageId, dependsOn: stageOf.get(r.stageId)?.dependsOn ?? [] })),
        );
        this.tracker.mergeTimed(batch.length, workflowNowMs() - startedMs);
        for (const entry of batch) {
          const turn = turns.get(entry.date)!;
          this.tellRun(entry, turn);
          this.tracker.throughDimensionLane(entry, Object.keys(turn.merged), [
            ...blocked,
            ...Object.values(turn.failed),
            ...Object.values(turn.blocked),
          ]);
          this.mergeRequests.delete(entry.date);
        }
      } catch (error) {
        // Cancelled with the backfill: the dates' runs are cancelled too; the end of the run says so.
        if (!isCancellation(error)) throw error;
      } finally {
        this.mergeBatchRunning = false;
        this.dirty = true;
      }
    };
    void this.children.run(work);
  }

  /** Tells the date's run (when it is open and ours) what the dimension lane did for it. */
  private tellRun(entry: BackfillDate, turn: DimensionLaneTurn): void {
    if (entry.open && !entry.attachedTo) this.signalRun(entry.date, turn);
  }

  /** By workflow id alone: the run's current run (a reset one included) gets it. */
  private signalRun(date: string, turn: DimensionLaneTurn): void {
    getExternalWorkflowHandle(dailyRunId(this.settings.pipeline, date))
      .signal(dimensionLaneTurnSignal, turn)
      .catch(() => undefined);
  }

  private dateRunInput(entry: BackfillDate): DateRunInput {
    return {
      pipeline: this.settings.pipeline,
      logicalDate: entry.date,
      rerun: entry.rerun,
      backfillLanes: this.tracker.needsIngest(entry) ? ['ingest', 'dimension'] : ['dimension'],
      // `all` runs every stage again, done or not.
      ...(this.settings.only === 'all' ? { stages: this.state.stages.map((s) => s.id) } : {}),
    };
  }

  private startRun(entry: BackfillDate): void {
    this.startedThisRun++;
    const input = this.dateRunInput(entry);
    this.tracker.started(entry, workflowNowMs());
    const work = async () => {
      let outcome: RunOutcome & { attachedTo?: string };
      try {
        const handle = await startDateRun(
          input,
          `${this.settings.pipeline} ${entry.date}: run of backfill ${workflowInfo().workflowId}`,
        );
        if (handle) {
          outcome = await outcomeOf(handle);
        } else {
          const workflowId = dailyRunId(this.settings.pipeline, entry.date);
          this.tracker.attached(entry, workflowId);
          this.dirty = true;
          outcome = await waitForOtherRun(workflowId, () => this.markersOf(entry.date));
        }
      } catch (error) {
        outcome = isCancellation(error)
          ? { done: [], cancelled: true }
          : { done: [], problem: describeFailure(error) };
      }
      if (outcome.attachedTo) entry.attachedTo = outcome.attachedTo;
      if (outcome.warnings) entry.warnings = outcome.warnings;
      else delete entry.warnings;
      if (outcome.cancelled) {
        this.tracker.cancel(
          entry,
          outcome.attachedTo
            ? `the backfill stopped waiting for ${outcome.attachedTo}; that run was not started by it and goes on`
            : 'cancelled with the backfill (its AWS jobs were stopped)',
        );
      } else if (outcome.refusedAsFirstRun && !entry.rerun) {
        // The date ran after the backfill read its markers (the schedule, a person): run it as a rerun,
        // which skips what that run finished.
        this.tracker.requeueAsRerun(entry, await this.markersOf(entry.date));
      } else {
        this.tracker.runEnded(entry, outcome.done, workflowNowMs(), outcome.problem);
      }
      this.mergeRequests.delete(entry.date);
      this.dirty = true;
    };
    void this.children.run(work);
  }

  private publish(status: BackfillStatus): void {
    if (status !== this.publishedStatus) {
      this.publishedStatus = status;
      upsertSearchAttributes([
        { key: searchAttributeKeys.pipeline, value: this.settings.pipeline },
        { key: searchAttributeKeys.status, value: status },
      ]);
    }
    setCurrentDetails(progressMarkdown(this.tracker.progress(status, workflowNowMs())));
  }
}

/**
 * One workflow run of a backfill, from its (fresh or carried) state to the end or to continue-as-new:
 * starts data phases and dimension-lane runs under the cap, reacts to the signals, publishes progress.
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
import type { BackfillInput } from '../core/backfill-contracts';
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
import { type ChildOutcome, type DailyChildInput, runDailyChild } from './backfill-children';
import { describeFailure } from './failure-text';
import { cancelBackfillSignal, pauseBackfillSignal, resumeBackfillSignal } from './backfill-signals';

/** The signature of `backfill` (workflows/backfill.ts), which a continue-as-new starts again. */
type BackfillWorkflow = (input: BackfillInput, carried?: BackfillState) => Promise<BackfillProgress>;

/** The failure message names this many failed dates; the details carry all of them. */
const FAILED_DATES_IN_MESSAGE = 3;

export class BackfillRun {
  private readonly children = new CancellationScope();
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
    const publish = (status: BackfillStatus) => {
      reportStatus(status);
      this.publish(status);
    };

    try {
      for (;;) {
        if (!this.draining && this.shouldContinueAsNew()) this.draining = true;
        if (!this.cancelRequested) this.launch();
        publish(this.status());
        if (this.tracker.inFlight === 0) {
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
      // Cancelled from outside (UI, `temporal workflow cancel`): the children were cancelled with us.
      this.cancelRequested = true;
      publish('cancelling');
      await CancellationScope.nonCancellable(() => condition(() => this.tracker.inFlight === 0));
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

  private shouldContinueAsNew(): boolean {
    return this.startedThisRun >= this.settings.childrenPerRun || workflowInfo().continueAsNewSuggested;
  }

  private canStart(): boolean {
    return (
      !this.state.paused &&
      !this.draining &&
      !this.cancelRequested &&
      this.tracker.inFlight < this.settings.maxConcurrent
    );
  }

  /**
   * The dimension lane first (it frees dates for good); then, up to the cap, data phases of dates whose
   * CDC windows are done before the next date's windows. With a cap of 1 a date goes all the way
   * through before the next date's windows start; with more, the ingest lane runs beside data phases.
   */
  private launch(): void {
    this.advanceLane();
    while (this.canStart() && (this.startNextData() || this.advanceIngest()));
    this.advanceLane();
  }

  /** Starts the next data phase, or moves on a date that needs none; false when no date is ready. */
  private startNextData(): boolean {
    const entry = this.tracker.nextData();
    if (!entry) return false;
    if (!this.tracker.needsDataPhase(entry)) {
      this.tracker.dataFinished(entry, []);
      return true;
    }
    this.tracker.startData(entry);
    this.startChild(
      entry,
      this.dataInput(entry),
      `${this.settings.pipeline} ${entry.date}: backfill data phase`,
      (o) => {
        this.tracker.dataFinished(entry, o.done, o.elapsedMs, o.problem);
      },
    );
    return true;
  }

  private advanceLane(): void {
    for (;;) {
      const head = this.tracker.laneHead();
      if (!head || head.status !== 'merge-queued') return;
      const plan = this.tracker.planLane(head);
      const blocked = plan.blocked.map((b) => `${b.stage} not run: ${b.reason}`);
      if (plan.run.length === 0) {
        this.tracker.finish(head, [], undefined, blocked);
        continue;
      }
      if (!this.canStart()) return;
      this.tracker.startLane(head);
      const input: DailyChildInput = {
        pipeline: this.settings.pipeline,
        logicalDate: head.date,
        rerun: true,
        stages: plan.run,
      };
      this.startChild(
        head,
        input,
        `${this.settings.pipeline} ${head.date}: backfill dimension merges`,
        (o) => {
          this.tracker.finish(head, o.done, o.elapsedMs, [...blocked, ...(o.problem ? [o.problem] : [])]);
        },
      );
      return;
    }
  }

  /**
   * The ingest lane, one date at a time, oldest first: each date's CDC windows start where the previous
   * date's stopped. Starts the next date's windows, or fails a date whose windows must not run; false
   * when there is nothing to do or the windows of a date are running.
   */
  private advanceIngest(): boolean {
    const head = this.tracker.ingestHead();
    if (!head) return false;
    const blocked = this.tracker.ingestBlockedBy(head);
    if (blocked) {
      this.tracker.failIngest(head, [blocked]);
      return true;
    }
    this.tracker.startIngest(head);
    const done = new Set(head.done ?? []);
    const input: DailyChildInput = {
      pipeline: this.settings.pipeline,
      logicalDate: head.date,
      rerun: head.rerun,
      stages: this.tracker.laneIngestStages.filter((id) => !done.has(id)),
    };
    this.startChild(head, input, `${this.settings.pipeline} ${head.date}: backfill CDC windows`, (o) => {
      this.tracker.ingestFinished(head, o.done, o.elapsedMs, o.problem);
    });
    return true;
  }

  private dataInput(entry: BackfillDate): DailyChildInput {
    const ranInIngestLane = new Set(this.tracker.laneIngestStages);
    return {
      pipeline: this.settings.pipeline,
      logicalDate: entry.date,
      // A date whose CDC windows the ingest lane just ran has run now.
      rerun: entry.rerun || (entry.done?.length ?? 0) > 0,
      deferDimensionMerges: true,
      // `all` runs every stage again, done or not (the ingest lane has just run the CDC windows).
      ...(this.settings.only === 'all'
        ? { stages: this.state.stages.map((s) => s.id).filter((id) => !ranInIngestLane.has(id)) }
        : {}),
    };
  }

  private startChild(
    entry: BackfillDate,
    input: DailyChildInput,
    summary: string,
    onOutcome: (outcome: ChildOutcome) => void,
  ): void {
    this.startedThisRun++;
    const work = async () => {
      let outcome: ChildOutcome;
      try {
        outcome = await runDailyChild(
          { ...input, runChain: this.runChainOf(entry) },
          summary,
          this.markersOf,
        );
      } catch (error) {
        outcome = isCancellation(error)
          ? { done: [], cancelled: true }
          : { done: [], problem: describeFailure(error) };
      }
      if (outcome.attachedTo) entry.attachedTo = outcome.attachedTo;
      if (outcome.cancelled) {
        this.tracker.cancel(
          entry,
          outcome.attachedTo
            ? `the backfill stopped waiting for ${outcome.attachedTo}; that run was not started by it and goes on`
            : 'cancelled with the backfill (its AWS jobs were stopped)',
        );
      } else {
        onOutcome(outcome);
      }
      this.dirty = true;
    };
    void this.children.run(work);
  }

  /** One run chain per date and backfill (its continue-as-new runs included): one generation per date. */
  private runChainOf(entry: BackfillDate): string {
    const { workflowId, firstExecutionRunId } = workflowInfo();
    return `${workflowId}@${firstExecutionRunId}/${entry.date}`;
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

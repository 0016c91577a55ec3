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
import type { backfill } from './backfill';
import { type ChildOutcome, type DailyChildInput, runDailyChild } from './backfill-children';
import { describeFailure } from './failure-text';
import { cancelBackfillSignal, pauseBackfillSignal, resumeBackfillSignal } from './backfill-signals';

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
    setHandler(cancelBackfillSignal, () => {
      this.cancelRequested = true;
      this.children.cancel();
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
        if (this.tracker.inFlight === 0) {
          if (this.cancelRequested || this.tracker.finished) break;
          if (this.draining) {
            this.state.continuedAsNew++;
            return await continueAsNew<typeof backfill>(this.input, this.state);
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
          failed.map((d) => `${d.date} (${d.reason ?? 'failed'})`).join('; ') +
          '. Fix the cause, then run the backfill again with "only": "failed".',
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

  /** The lane first (it frees dates for good), then data phases, until the cap is reached. */
  private launch(): void {
    this.advanceLane();
    while (this.canStart()) {
      const entry = this.tracker.nextData();
      if (!entry) break;
      if (!this.tracker.needsDataPhase(entry)) {
        this.tracker.dataFinished(entry, []);
        continue;
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
    }
    this.advanceLane();
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

  private dataInput(entry: BackfillDate): DailyChildInput {
    return {
      pipeline: this.settings.pipeline,
      logicalDate: entry.date,
      rerun: entry.rerun,
      deferDimensionMerges: true,
      // `all` runs every stage again, done or not.
      ...(this.settings.only === 'all' ? { stages: this.state.stages.map((s) => s.id) } : {}),
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
        outcome = await runDailyChild(input, summary, this.markersOf);
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

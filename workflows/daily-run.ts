/**
 * One daily run once it has a plan: the stages it runs, the walks over their DAG and how the run
 * settles. A cancellation stops the walk it came in; the run keeps it, every later step does nothing,
 * and `finish` rethrows it once the view has recorded the cancelled stages.
 */
import { isCancellation, workflowInfo } from '@temporalio/workflow';
import { deferredStageIds } from '../core/backfill-stages';
import type { BackfillLane } from '../core/backfill-lanes';
import type { Plan, PlannedStage } from '../core/plan';
import type { DailyRunReport } from '../core/run-report';
import { runAfterDimensionLane } from './after-dimension-lane';
import { recordChecks } from './check-recording';
import type { DailyRunView } from './daily-run-view';
import { DateInLanes } from './date-in-lanes';
import { type DagCallbacks, type DagResult, runDag } from './run-dag';
import { dailyAlertRequest, sendAlerts } from './run-alerts';
import { StageAttempts } from './stage-attempts';

export class DailyRun {
  private readonly dateInLanes: DateInLanes;
  private readonly attempts: StageAttempts;
  private readonly dag: DagCallbacks<PlannedStage>;
  /** What the run was asked to do: stages neither done by an earlier run nor left out by `stages`. */
  private readonly runnable: PlannedStage[];
  /** Started by a backfill: SCD2 merges (and what depends on them) wait for its dimension lane (rule 9). */
  private readonly afterMerges: PlannedStage[];
  /** This run continues a run reset to its last workflow task (Temporal UI "Reset"). */
  private readonly resetRun: boolean;
  private cancellation: unknown;

  constructor(
    private readonly plan: Plan,
    lanes: BackfillLane[],
    private readonly view: DailyRunView,
    /** A backfill sends one alert for its failed and warned dates at its end; its runs only send recoveries. */
    private readonly inBackfill: boolean,
  ) {
    this.dateInLanes = new DateInLanes(lanes, view);
    this.runnable = plan.stages.filter((s) => !s.doneEarlier && !s.notSelected);
    const deferred = this.dateInLanes.defersMerges ? deferredStageIds(plan.stages) : new Set<string>();
    this.afterMerges = this.runnable.filter((s) => deferred.has(s.id));
    view.planned(plan, new Set(this.afterMerges.map((s) => s.id)));
    const info = workflowInfo();
    this.resetRun = info.runId !== info.originalExecutionRunId;
    this.attempts = new StageAttempts(view, this.resetRun);
    this.dag = dagCallbacks(view, this.attempts, () => this.dateInLanes.stageSettled());
  }

  /**
   * The stages that need nothing from the dimension lane (all of them outside a backfill). In a
   * backfill's ingest lane the CDC windows run first, alone, and the rest waits for a data slot.
   */
  async walkDataPhase(): Promise<void> {
    const dataPhase = this.runnable.filter((s) => !this.afterMerges.includes(s));
    this.dateInLanes.watchIngest(dataPhase);
    const windows = this.dateInLanes.beforeDataSlot(dataPhase);
    if (windows.length === 0) {
      await this.walk(dataPhase);
      return;
    }
    const earlier = await this.walk(windows);
    const rest = dataPhase.filter((s) => !windows.includes(s));
    if (this.cancellation !== undefined) return;
    try {
      await this.dateInLanes.dataSlot(rest);
    } catch (error) {
      if (!isCancellation(error)) throw error;
      this.cancellation = error;
      return;
    }
    await this.walk(rest, earlier);
  }

  /** The merges, through the backfill's dimension lane, then the stages downstream of them. */
  async walkAfterDimensionLane(): Promise<void> {
    if (this.cancellation !== undefined || this.afterMerges.length === 0) return;
    this.noteCancellation(
      await runAfterDimensionLane(this.afterMerges, this.view, this.dateInLanes, (stages) =>
        runDag(dagOf(stages), this.plan.maxConcurrentStages, this.dag),
      ),
    );
  }

  /**
   * Records the run's check outcomes, concludes its report and sends its alerts (new causes,
   * recoveries). It runs before `finish` takes the decision to fail, so that the decision stays in the
   * run's last workflow task: a run reset to that task settles again after `retryAfterReset`.
   */
  async settleOutcome(): Promise<void> {
    if (this.cancellation !== undefined) return;
    await recordChecks(this.plan, this.view.report);
    this.view.conclude();
    await sendAlerts(dailyAlertRequest(this.view.report, this.inBackfill));
  }

  /**
   * A person who fixed the cause and reset the run to its last workflow task gets here in a new run
   * whose history up to this point is the failed run's: the stages that failed, and those they
   * blocked, run once more (merges too, without waiting for a backfill); a stage whose AWS job ended
   * FAILED under a new job attempt (new run key), the others start-or-attach under the same key. The
   * outcome is then settled again (a recovery, when it recovered).
   */
  async retryAfterReset(): Promise<void> {
    if (this.cancellation !== undefined || !this.resetRun) return;
    const unfinished = this.runnable.filter((s) =>
      ['failed', 'blocked'].includes(this.view.stage(s.id).status),
    );
    if (unfinished.length === 0) return;
    for (const stage of unfinished) this.attempts.afterReset(stage.id);
    this.view.pendingAgain(unfinished.map((s) => s.id));
    await this.walk(unfinished);
    await this.settleOutcome();
  }

  /** The run's report, or the failure that ends it: PipelineFailed, or the cancellation that stopped it. */
  finish(): DailyRunReport {
    if (this.cancellation !== undefined) {
      this.view.cancelled();
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrowing the SDK's own CancelledFailure
      throw this.cancellation;
    }
    return this.view.finish();
  }

  /** Walks these stages; `earlier` holds how stages they depend on ended in an earlier walk. */
  private async walk(
    stages: PlannedStage[],
    earlier?: DagResult['outcomes'],
  ): Promise<DagResult['outcomes']> {
    if (this.cancellation !== undefined) return new Map();
    const result = await runDag(dagOf(stages, earlier), this.plan.maxConcurrentStages, this.dag, earlier);
    this.noteCancellation(result);
    return result.outcomes;
  }

  private noteCancellation(result: DagResult): void {
    this.cancellation ??= result.cancellation;
  }
}

function dagCallbacks(
  view: DailyRunView,
  attempts: StageAttempts,
  settled: () => void,
): DagCallbacks<PlannedStage> {
  return {
    run: async (stage) => {
      view.succeeded(stage.id, await attempts.run(stage));
      settled();
    },
    onFailed: (stage, error) => {
      view.failed(stage.id, error);
      settled();
    },
    onBlocked: (stage, blockedBy) => {
      view.blocked(stage.id, blockedBy);
      settled();
    },
  };
}

/**
 * The stages to walk, with dependencies on stages outside them dropped (done, deferred or not asked
 * for), except those an earlier walk settled: their outcomes decide.
 */
function dagOf(stages: PlannedStage[], earlier?: ReadonlyMap<string, unknown>): PlannedStage[] {
  const ids = new Set([...stages.map((s) => s.id), ...(earlier?.keys() ?? [])]);
  return stages.map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => ids.has(d)) }));
}

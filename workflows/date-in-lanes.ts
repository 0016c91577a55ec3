/**
 * A daily run's side of the backfill lanes (core/backfill-lanes.ts): it tells the backfill that
 * started it when its CDC windows are over and when its data phase is over, and waits for the
 * dimension lane's turn for its SCD2 merges. A run whose backfill is gone (ended, or the run was
 * started or reset without one) waits for nothing: it merges by itself.
 */
import {
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  setHandler,
  type SignalDefinition,
  workflowInfo,
} from '@temporalio/workflow';
import type { BackfillLane, DimensionLaneTurn } from '../core/backfill-lanes';
import type { PlannedStage } from '../core/plan';
import type { DailyRunView } from './daily-run-view';
import { dataPhaseDoneSignal, dimensionLaneTurnSignal, ingestLaneDoneSignal } from './lane-signals';

const SETTLED = new Set(['succeeded', 'skipped', 'failed', 'blocked', 'cancelled']);

export class DateInLanes {
  private turn: DimensionLaneTurn | undefined;
  private ingestStages: string[] | undefined;

  constructor(
    private readonly lanes: readonly BackfillLane[],
    private readonly view: DailyRunView,
  ) {
    if (this.defersMerges) setHandler(dimensionLaneTurnSignal, (turn) => void (this.turn = turn));
  }

  /** Its SCD2 merges (and what depends on them) wait for the backfill's dimension lane. */
  get defersMerges(): boolean {
    return this.lanes.includes('dimension');
  }

  /** The data phase starts with these stages: once its CDC windows among them are over, the backfill hears. */
  watchIngest(toRun: readonly PlannedStage[]): void {
    if (!this.lanes.includes('ingest')) return;
    this.ingestStages = toRun.filter((s) => s.kind === 'dms').map((s) => s.id);
    this.stageSettled();
  }

  /** Called after each stage of the data phase settles. */
  stageSettled(): void {
    const windows = this.ingestStages;
    if (!windows || windows.some((id) => !SETTLED.has(this.view.stage(id).status))) return;
    this.ingestStages = undefined;
    const failed = windows.filter((id) => this.view.stage(id).status !== 'succeeded');
    this.tellBackfill(ingestLaneDoneSignal, {
      date: this.view.report.logicalDate,
      done: this.view.doneStageIds(),
      ...(failed.length > 0 ? { problem: this.view.problemOf(failed) } : {}),
    }).catch(() => undefined);
  }

  /**
   * Hands these merges to the dimension lane and waits for its turn; undefined when the backfill is
   * gone or lets the run merge by itself.
   */
  async dimensionLaneTurn(merges: readonly PlannedStage[]): Promise<DimensionLaneTurn | undefined> {
    const notDone = this.view.report.stages.filter((s) => s.status === 'failed').map((s) => s.id);
    this.view.awaitingDimensionLane(
      merges.map((s) => s.id),
      workflowInfo().parent?.workflowId,
    );
    const told = await this.tellBackfill(dataPhaseDoneSignal, {
      date: this.view.report.logicalDate,
      done: this.view.doneStageIds(),
      ...(notDone.length > 0 ? { problem: this.view.problemOf(notDone) } : {}),
      merges: merges.map((s) => ({
        stageId: s.id,
        summary: s.summary,
        input: s.input as Extract<PlannedStage['input'], { kind: 'redshift' }>,
        options: s.options,
      })),
    });
    if (told) await condition(() => this.turn !== undefined);
    this.view.dimensionLaneOver();
    return told && !this.turn?.runAlone ? this.turn : undefined;
  }

  /** Nothing to hand to the dimension lane (its merges are done or held back by the data phase). */
  noDimensionLaneTurn(): void {
    this.view.dimensionLaneOver();
  }

  /** Signals the backfill run that started this run; false when there is none or it has ended. */
  private async tellBackfill<T>(signal: SignalDefinition<[T]>, payload: T): Promise<boolean> {
    const parent = workflowInfo().parent;
    if (!parent) return false;
    try {
      await getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(signal, payload);
      return true;
    } catch (error) {
      if (isCancellation(error)) throw error;
      return false;
    }
  }
}

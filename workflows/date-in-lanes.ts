/**
 * A daily run's side of the backfill lanes (core/backfill-lanes.ts): it tells the backfill that
 * started it when its CDC windows are over and when its data phase is over, waits for a data slot
 * between the two, and waits for the dimension lane's turn for its SCD2 merges. A run whose backfill is gone (ended, or the run was
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
import {
  dataPhaseDoneSignal,
  dataSlotSignal,
  dimensionLaneTurnSignal,
  ingestLaneDoneSignal,
} from './lane-signals';

const SETTLED = new Set(['succeeded', 'skipped', 'failed', 'blocked', 'cancelled']);

export class DateInLanes {
  private turn: DimensionLaneTurn | undefined;
  private ingestStages: string[] | undefined;
  /** Whether the backfill heard that the windows are over (then it sends the data slot). */
  private ingestTold: Promise<boolean> = Promise.resolve(false);
  private slotGranted = false;

  constructor(
    private readonly lanes: readonly BackfillLane[],
    private readonly view: DailyRunView,
  ) {
    if (this.defersMerges) setHandler(dimensionLaneTurnSignal, (turn) => void (this.turn = turn));
    if (this.inIngestLane) setHandler(dataSlotSignal, () => void (this.slotGranted = true));
  }

  private get inIngestLane(): boolean {
    return this.lanes.includes('ingest');
  }

  /**
   * What runs before the data slot: the CDC windows among these stages and what they depend on
   * (nothing, outside a backfill's ingest lane). The rest of the data phase waits for the slot.
   */
  beforeDataSlot(toRun: readonly PlannedStage[]): PlannedStage[] {
    if (!this.inIngestLane) return [];
    const needed = new Set(toRun.filter((s) => s.kind === 'dms').map((s) => s.id));
    for (let grew = true; grew;) {
      grew = false;
      for (const stage of toRun) {
        if (!needed.has(stage.id)) continue;
        for (const dep of stage.dependsOn) {
          if (needed.has(dep)) continue;
          needed.add(dep);
          grew = true;
        }
      }
    }
    return toRun.filter((s) => needed.has(s.id));
  }

  /**
   * After the windows: waits until the backfill gives the run a data slot (these stages show what
   * they wait for meanwhile). Returns at once outside the ingest lane or when the backfill is gone.
   */
  async dataSlot(waiting: readonly PlannedStage[]): Promise<void> {
    if (!this.inIngestLane || !(await this.ingestTold)) return;
    if (this.slotGranted) return;
    const ids = waiting.map((s) => s.id);
    this.view.awaitingDataSlot(ids, workflowInfo().parent?.workflowId);
    try {
      await condition(() => this.slotGranted);
    } finally {
      this.view.dataSlotOver(ids);
    }
  }

  /** Its SCD2 merges (and what depends on them) wait for the backfill's dimension lane. */
  get defersMerges(): boolean {
    return this.lanes.includes('dimension');
  }

  /** The data phase starts with these stages: once its CDC windows among them are over, the backfill hears. */
  watchIngest(toRun: readonly PlannedStage[]): void {
    if (!this.inIngestLane) return;
    this.ingestStages = toRun.filter((s) => s.kind === 'dms').map((s) => s.id);
    this.stageSettled();
  }

  /** Called after each stage of the data phase settles. */
  stageSettled(): void {
    const windows = this.ingestStages;
    if (!windows || windows.some((id) => !SETTLED.has(this.view.stage(id).status))) return;
    this.ingestStages = undefined;
    const failed = windows.filter((id) => this.view.stage(id).status !== 'succeeded');
    this.ingestTold = this.tellBackfill(ingestLaneDoneSignal, {
      date: this.view.report.logicalDate,
      done: this.view.doneStageIds(),
      ...(failed.length > 0 ? { problem: this.view.problemOf(failed) } : {}),
    }).catch(() => false);
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

/**
 * A backfill's daily run after its data phase: the SCD2 merges it can run go to the backfill's
 * dimension lane, which merges them in date order and answers how each went; then the run walks
 * the stages downstream of them itself. A merge whose data the data phase did not produce is not
 * handed over (it is blocked here), and a run whose backfill is gone merges by itself.
 */
import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import type { PlannedStage } from '../core/plan';
import type { DailyRunView } from './daily-run-view';
import type { DateInLanes } from './date-in-lanes';
import type { DagResult } from './run-dag';

const OK = new Set(['succeeded', 'skipped', 'not-selected']);

export async function runAfterDimensionLane(
  stages: readonly PlannedStage[],
  view: DailyRunView,
  lanes: DateInLanes,
  runRest: (stages: PlannedStage[]) => Promise<DagResult>,
): Promise<DagResult> {
  let left = blockUnreachable([...stages], view);
  const merges = left.filter((s) => s.kind === 'scd2');
  if (merges.length === 0) {
    lanes.noDimensionLaneTurn();
    return runRest(left);
  }
  let turn;
  try {
    turn = await lanes.dimensionLaneTurn(merges);
  } catch (error) {
    if (isCancellation(error)) return { outcomes: new Map(), cancellation: error };
    throw error;
  }
  if (turn) {
    for (const merge of merges) {
      const result = turn.merged[merge.id];
      const failed = turn.failed[merge.id];
      if (result) view.succeeded(merge.id, result);
      else if (failed) {
        view.failed(merge.id, ApplicationFailure.create({ type: 'DimensionMergeFailed', message: failed }));
      } else {
        view.notRun(merge.id, turn.blocked[merge.id] ?? 'not run: the dimension lane did not merge it');
      }
    }
    left = blockUnreachable(
      left.filter((s) => s.kind !== 'scd2'),
      view,
    );
  }
  return runRest(left);
}

/** Blocks (in the view) every stage a dependency outside `stages` holds back; returns the others. */
function blockUnreachable(stages: PlannedStage[], view: DailyRunView): PlannedStage[] {
  let left = stages;
  for (;;) {
    const ids = new Set(left.map((s) => s.id));
    const next = left.filter((stage) => {
      const blocker = stage.dependsOn.find((dep) => !ids.has(dep) && !OK.has(view.stage(dep).status));
      if (blocker) view.blocked(stage.id, blocker);
      return !blocker;
    });
    if (next.length === left.length) return next;
    left = next;
  }
}

/**
 * Rule 9 in a backfill: the dimension merges (SCD2 stages) of different dates of one dimension never
 * run at once and run in date order. A backfill therefore splits each date in two: the data phase
 * runs every stage except the merges and the stages that depend on them ("deferred" stages); the
 * dimension lane then runs the deferred stages one date at a time, oldest first. Pure functions.
 */
import type { StageKind } from './pipeline-spec';

export interface StageNode {
  id: string;
  kind: StageKind;
  dependsOn: string[];
}

/** The SCD2 stages and everything downstream of them: they wait for the dimension lane. */
export function deferredStageIds(stages: readonly StageNode[]): Set<string> {
  const deferred = new Set(stages.filter((s) => s.kind === 'scd2').map((s) => s.id));
  let grew = true;
  while (grew) {
    grew = false;
    for (const stage of stages) {
      if (!deferred.has(stage.id) && stage.dependsOn.some((dep) => deferred.has(dep))) {
        deferred.add(stage.id);
        grew = true;
      }
    }
  }
  return deferred;
}

/**
 * The stages whose runs of different dates must go one at a time in date order before anything else
 * of the date: DMS CDC windows, because each date's window starts where the previous date's stopped.
 */
export function orderedIngestStageIds(stages: readonly StageNode[]): string[] {
  return stages.filter((s) => s.kind === 'dms').map((s) => s.id);
}

/** True when every stage the data phase runs is done: the date only needs the lane. */
export function dataPhaseDone(stages: readonly StageNode[], done: ReadonlySet<string>): boolean {
  const deferred = deferredStageIds(stages);
  return stages.every((s) => deferred.has(s.id) || done.has(s.id));
}

export interface MergePlan {
  /** Deferred stages to run for this date now, in the lane. */
  run: string[];
  /** Deferred stages that cannot run for this date, and why. */
  blocked: { stage: string; reason: string }[];
}

/**
 * What the lane runs for one date: each deferred stage not done yet whose dependencies are done (or
 * run with it), unless it is a merge of a dimension an earlier date failed to merge (`broken`: stage
 * id -> that date), which would apply this date's changes out of order.
 */
export function planMerges(
  stages: readonly StageNode[],
  done: ReadonlySet<string>,
  broken: Readonly<Record<string, string>>,
): MergePlan {
  const byId = new Map(stages.map((s) => [s.id, s]));
  const deferred = deferredStageIds(stages);
  const verdicts = new Map<string, string | null>();
  const verdict = (id: string): string | null => {
    if (done.has(id)) return null;
    const known = verdicts.get(id);
    if (known !== undefined) return known;
    const stage = byId.get(id)!;
    let reason: string | null = null;
    if (!deferred.has(id)) reason = `${id} is not done`;
    else if (stage.kind === 'scd2' && broken[id]) {
      reason = `${id} of ${broken[id]} did not merge; later dates wait so the dimension stays in date order`;
    } else {
      for (const dep of stage.dependsOn) {
        const depReason = verdict(dep);
        if (depReason !== null) {
          reason = deferred.has(dep) ? depReason : `${dep} is not done`;
          break;
        }
      }
    }
    verdicts.set(id, reason);
    return reason;
  };
  const plan: MergePlan = { run: [], blocked: [] };
  for (const stage of stages) {
    if (!deferred.has(stage.id) || done.has(stage.id)) continue;
    const reason = verdict(stage.id);
    if (reason === null) plan.run.push(stage.id);
    else plan.blocked.push({ stage: stage.id, reason });
  }
  return plan;
}

/** The merges a date needed and did not get: later dates must not merge those dimensions. */
export function unmergedDimensions(stages: readonly StageNode[], done: ReadonlySet<string>): string[] {
  return stages.filter((s) => s.kind === 'scd2' && !done.has(s.id)).map((s) => s.id);
}

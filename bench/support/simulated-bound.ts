/**
 * The lower bound of a simulated backfill's makespan (bench/simulated-year.ts), from the simulated
 * AWS times alone: no schedule can beat the largest of
 * - each serial lane's total work: the CDC windows (DMS stages) in date order, and each dimension's
 *   merges in date order, at the fewest transactions the merge batch size allows;
 * - the total stage work over the stage concurrency cap (dates at once x stages at once per date);
 * - the longest single date (its critical path through the DAG, its merges as one transaction each).
 */
import type { PipelineSpecInput } from '../../core/pipeline-spec';
import { shopPipeline } from '../../pipelines/shop';
import { MERGE_TRANSACTION_MS, shopStageKinds, stageRunMs, stageWorkMs } from './simulated-aws-times';

export interface BoundInput {
  dates: string[];
  /** Daily runs at once (the backfill's maxConcurrent). */
  maxConcurrent: number;
  /** Dates one merge transaction may take (the backfill's maxDatesPerMerge; 1 without catch-up merges). */
  maxDatesPerMerge: number;
}

export interface MakespanBound {
  ms: number;
  parts: { name: string; ms: number }[];
}

const stages: PipelineSpecInput['stages'] = shopPipeline.stages;
const maxConcurrentStages = shopPipeline.maxConcurrentStages ?? 4;

function stageIdsOf(kind: string): string[] {
  return stages.filter((s) => s.kind === kind).map((s) => s.id);
}

/** The longest path through the DAG for one date, each stage as its own run. */
function criticalPathMs(date: string, skip: (stageId: string) => boolean = () => false): number {
  const finish = new Map<string, number>();
  for (const stage of stages) {
    const start = Math.max(0, ...(stage.dependsOn ?? []).map((d) => finish.get(d) ?? 0));
    finish.set(stage.id, start + (skip(stage.id) ? 0 : stageRunMs(stage.id, [date])));
  }
  return Math.max(...finish.values());
}

export function makespanBound({ dates, maxConcurrent, maxDatesPerMerge }: BoundInput): MakespanBound {
  const sumOver = (stageId: string) => dates.reduce((sum, date) => sum + stageWorkMs(stageId, date), 0);
  const transactions = Math.ceil(dates.length / maxDatesPerMerge);
  const mergeLanes = stageIdsOf('scd2').map((id) => sumOver(id) + transactions * MERGE_TRANSACTION_MS);
  const ingestLane = stageIdsOf('dms').reduce((sum, id) => sum + sumOver(id), 0);
  const totalWork =
    stages.filter((s) => s.kind !== 'scd2').reduce((sum, s) => sum + sumOver(s.id), 0) +
    mergeLanes.reduce((a, b) => a + b, 0);
  const stageCap = maxConcurrent * maxConcurrentStages;
  const parts = [
    { name: 'serial lane of CDC windows (DMS), date order', ms: ingestLane },
    {
      name: `serial lane of the longest dimension's merges (${transactions} transactions of <= ${maxDatesPerMerge} dates)`,
      ms: Math.max(...mergeLanes),
    },
    {
      name: `total stage work / ${stageCap} stages at once (${maxConcurrent} dates x ${maxConcurrentStages})`,
      ms: totalWork / stageCap,
    },
    { name: 'longest single date (critical path)', ms: Math.max(...dates.map((d) => criticalPathMs(d))) },
  ];
  return { ms: Math.max(...parts.map((p) => p.ms)), parts };
}

/**
 * Not part of the bound: what the date cap alone would allow if each date held its slot for exactly
 * its critical path without merges (a date's run holds a slot from its start to its end).
 */
export function dateSlotsMs(dates: string[], maxConcurrent: number): number {
  const withoutMerges = (id: string) => shopStageKinds.get(id) === 'scd2';
  return dates.reduce((sum, d) => sum + criticalPathMs(d, withoutMerges), 0) / maxConcurrent;
}

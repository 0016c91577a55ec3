/**
 * How long the shop's stages take on AWS, for bench/simulated-year.ts: a seeded draw per date and
 * stage from the ranges below, the same on every call (the workflow interceptor that makes a stage
 * take its time and the bench that computes the lower bound both ask). Pure and deterministic: it
 * runs inside the workflow sandbox too.
 */
import type { StageKind } from '../../core/pipeline-spec';
import type { StageInput } from '../../core/stage-io';
import { shopPipeline } from '../../pipelines/shop';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** [shortest, longest] of one run of each kind of stage (a merge's is per date it merges). */
const STAGE_TIME_RANGES: Record<StageKind, [number, number]> = {
  dms: [3 * MINUTE, 5 * MINUTE],
  appflow: [1 * MINUTE, 3 * MINUTE],
  glue: [2 * MINUTE, 6 * MINUTE],
  'emr-serverless': [3 * MINUTE, 8 * MINUTE],
  scd2: [20 * SECOND, 60 * SECOND],
  load: [10 * SECOND, 30 * SECOND],
};

/** A dimension merge's fixed cost per transaction (BEGIN, staging, COMMIT), whatever it merges. */
export const MERGE_TRANSACTION_MS = 15 * SECOND;

const SIMULATION_SEED = 20261207;

export const shopStageKinds: ReadonlyMap<string, StageKind> = new Map(
  shopPipeline.stages.map((s) => [s.id, s.kind]),
);

/** 32-bit FNV-1a of a string: the seed of one draw. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32's first output for `seed`: uniform in [0, 1). */
function uniform(seed: number): number {
  let t = (seed + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** The work of stage `stageId` for `date` (for a merge: the part of one date, without the transaction). */
export function stageWorkMs(stageId: string, date: string, seed = SIMULATION_SEED): number {
  const kind = shopStageKinds.get(stageId);
  if (!kind) throw new Error(`simulated AWS times: the shop has no stage "${stageId}"`);
  const [low, high] = STAGE_TIME_RANGES[kind];
  return Math.round(low + (high - low) * uniform(hash(`${seed}/${stageId}/${date}`)));
}

/** How long one run of `stageId` takes: a merge of several dates is one transaction over all of them. */
export function stageRunMs(stageId: string, dates: readonly string[], seed = SIMULATION_SEED): number {
  const work = dates.reduce((sum, date) => sum + stageWorkMs(stageId, date, seed), 0);
  return shopStageKinds.get(stageId) === 'scd2' ? MERGE_TRANSACTION_MS + work : work;
}

export interface SimulatedRun {
  stageId: string;
  /** The dates the run covers: its logical date, or every date of a catch-up merge. */
  dates: string[];
  ms: number;
}

/** How long the AWS run of this stage input takes. */
export function simulatedRunOf(input: StageInput): SimulatedRun {
  const { stageId, logicalDate } = input.identity;
  const dates = mergedDatesOf(input) ?? [logicalDate];
  return { stageId, dates, ms: stageRunMs(stageId, dates) };
}

/** The member dates of a catch-up merge (planDimensionMerge's input), if it is one. */
function mergedDatesOf(input: StageInput): string[] | undefined {
  return input.kind === 'redshift' ? input.members?.map((m) => m.logicalDate) : undefined;
}

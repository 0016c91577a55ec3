/**
 * What a backfill and the one daily run it starts per date tell each other (as signals), so that two
 * things go in date order across dates while each date is a single run:
 * - the ingest lane: a date's run is started when its turn to run CDC windows (DMS stages) comes,
 *   runs those windows alone, and tells the backfill when they are over, so the next date's run may
 *   start; it then waits until the backfill gives it one of its `maxConcurrent` data slots;
 * - the dimension lane: a date's run does its data phase, then tells the backfill its SCD2 merges
 *   are ready and waits; the backfill merges ready dates oldest first (consecutive dates in one
 *   transaction per dimension) and tells each run how its merges went. Types only.
 */
import type { PlannedStageOptions } from './plan';
import type { RedshiftStageInput, StageResult } from './stage-io';

/** The lanes a backfill's daily run takes part in (input field `backfillLanes`). */
export const BACKFILL_LANES = ['ingest', 'dimension'] as const;
export type BackfillLane = (typeof BACKFILL_LANES)[number];

/** A run started in the ingest lane: its CDC windows are over (done or not). */
export interface IngestLaneDone {
  date: string;
  /** Stages done so far (the windows that succeeded among them). */
  done: string[];
  problem?: string;
}

/** One SCD2 merge a date's run has planned and leaves to the dimension lane. */
export interface MergeRequest {
  stageId: string;
  summary: string;
  /** The date's own planned input (identity, run key, statements of that date alone). */
  input: RedshiftStageInput;
  options: PlannedStageOptions;
}

/** A run's data phase is over: these merges wait for the dimension lane. */
export interface DataPhaseDone {
  date: string;
  done: string[];
  /** Why a data stage did not succeed, when one did not. */
  problem?: string;
  merges: MergeRequest[];
}

/** The dimension lane's answer to one date's run: per merge it asked for, what happened. */
export interface DimensionLaneTurn {
  merged: Record<string, StageResult>;
  /** Stage id -> why the merge failed (naming the dates of its batch). */
  failed: Record<string, string>;
  /** Stage id -> why the merge must not run (an earlier date of that dimension did not merge). */
  blocked: Record<string, string>;
  /** The lane is past this date (e.g. the run was reset later): the run merges by itself. */
  runAlone?: boolean;
}

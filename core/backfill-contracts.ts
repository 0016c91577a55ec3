/**
 * The backfill workflow's input (as typed in the Temporal UI's Start Workflow form) and the
 * activities it calls, as types only: workflows import this, activities/backfill.ts implements it.
 */
import { type DimensionMergeActivities, MAX_DIMENSION_MERGE_MEMBERS } from './activity-contracts';
import type { StageKind } from './pipeline-spec';

export const BACKFILL_ONLY = ['missing', 'failed', 'all'] as const;
/** missing: dates not fully done yet; failed: dates whose last run did not finish; all: every date, every stage. */
export type BackfillOnly = (typeof BACKFILL_ONLY)[number];

export const BACKFILL_ORDER = ['oldest', 'newest'] as const;
/** Which dates' data stages start first. Dimension merges always run oldest first (rule 9). */
export type BackfillOrder = (typeof BACKFILL_ORDER)[number];

export const BACKFILL_LIMITS = {
  /** Longest range one backfill takes (inclusive days): bounds the describe call and the history. */
  maxDays: 366,
  maxConcurrent: { min: 1, max: 32, default: 4 },
  /** Child runs one workflow run starts before it continues as new (history stays small). */
  childrenPerRun: { min: 1, max: 1000, default: 100 },
  /**
   * Consecutive dates the dimension lane merges in one transaction per dimension (1: one date each);
   * at most what one Redshift BatchExecuteStatement holds (MAX_DIMENSION_MERGE_MEMBERS).
   */
  maxDatesPerMerge: { min: 1, max: MAX_DIMENSION_MERGE_MEMBERS, default: MAX_DIMENSION_MERGE_MEMBERS },
} as const;

export interface BackfillInput {
  pipeline: string;
  /** First logical date, YYYY-MM-DD. */
  from: string;
  /** Last logical date, YYYY-MM-DD, inclusive; its day must have ended in the pipeline's time zone. */
  to: string;
  only?: BackfillOnly;
  /** Daily runs (child workflows) at once. */
  maxConcurrent?: number;
  order?: BackfillOrder;
  /** Report which dates would run and why, start nothing. */
  dryRun?: boolean;
  /** Advanced: child runs per workflow run before continue-as-new. */
  childrenPerRun?: number;
  /**
   * Advanced: when the dimension lane finds several consecutive dates ready, it merges up to this many
   * in one transaction per dimension (catch-up merges); 1 merges one date per transaction.
   */
  maxDatesPerMerge?: number;
}

/** One stage of the pipeline as the backfill sees it: enough to find the dimension merges and their dependents. */
export interface BackfillStage {
  id: string;
  kind: StageKind;
  dependsOn: string[];
}

/** What medallion's run-state markers say about one date. */
export interface DateRunState {
  date: string;
  /** A run of this date claimed a generation before (so running it again is a rerun). */
  ran: boolean;
  /** Stages with a done marker. */
  done: string[];
}

export interface DescribeBackfillRequest {
  pipeline: string;
  from: string;
  to: string;
  /** The workflow's current time: a date whose day has not ended yet is refused. */
  nowUtc: string;
}

export interface BackfillDescription {
  pipeline: string;
  timeZone: string;
  stages: BackfillStage[];
  dates: DateRunState[];
}

export interface WaitForDailyRunRequest {
  workflowId: string;
}

export interface DailyRunOutcome {
  workflowId: string;
  runId: string;
  /** Temporal's execution status name: COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT. */
  status: string;
}

/** planDimensionMerge (catch-up merges of the dimension lane) is implemented in activities/plan-dimension-merge.ts. */
export interface BackfillActivities extends DimensionMergeActivities {
  /**
   * Checks pipeline and dates (InvalidInput, before any AWS call), then reads the run-state markers
   * of every date in the range.
   */
  describeBackfill(request: DescribeBackfillRequest): Promise<BackfillDescription>;
  /** Waits for a daily run someone else started (the backfill attaches instead of starting it twice). */
  waitForDailyRun(request: WaitForDailyRunRequest): Promise<DailyRunOutcome>;
}

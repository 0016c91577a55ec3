/**
 * The activities the workflows call, as types only: workflows import this (never activities/), and
 * activities/ implements it. Keeps the one-way arrows of the architecture.
 */
import type { SettleAlertsRequest, SettleAlertsResult } from './alerts';
import type { Plan } from './plan';
import type { CheckOutcome } from './check-outcome';
import type {
  AppFlowStageInput,
  CheckRecording,
  DmsStageInput,
  EmrServerlessStageInput,
  GlueStageInput,
  RedshiftStageInput,
  StageResult,
  StageRunIdentity,
} from './stage-io';

export interface PlanDailyRunRequest {
  pipeline: string;
  /** Explicit logical date (YYYY-MM-DD); wins over the scheduled time. */
  logicalDate?: string;
  /** TemporalScheduledStartTime of a schedule-started run, ISO-8601. */
  scheduledStartTime?: string;
  rerun: boolean;
  only?: string[];
  /** Identifies this run across retries and resets: the first execution's run id of the chain. */
  runChainId: string;
  /** The workflow's current time (ISO-8601): a date whose day has not ended yet is refused. */
  nowUtc: string;
}

export interface RecordStageDoneRequest {
  pipeline: string;
  logicalDate: string;
  generation: number;
  result: StageResult;
}

export interface RecordCheckOutcomesRequest {
  recording: CheckRecording;
  pipeline: string;
  logicalDate: string;
  /** The stages evaluated by this run: their earlier rows of the date are replaced. */
  stageIds: string[];
  outcomes: CheckOutcome[];
}

export interface PipelineActivities {
  planDailyRun(request: PlanDailyRunRequest): Promise<Plan>;
  recordStageDone(request: RecordStageDoneRequest): Promise<void>;
  runDmsStage(input: DmsStageInput): Promise<StageResult>;
  runAppFlowStage(input: AppFlowStageInput): Promise<StageResult>;
  runGlueStage(input: GlueStageInput): Promise<StageResult>;
  runEmrServerlessStage(input: EmrServerlessStageInput): Promise<StageResult>;
  runRedshiftStage(input: RedshiftStageInput): Promise<StageResult>;
  /** Publishes new alerts and recoveries of a run's end (activities/alerts.ts). */
  settleAlerts(request: SettleAlertsRequest): Promise<SettleAlertsResult>;
  recordCheckOutcomes(request: RecordCheckOutcomesRequest): Promise<void>;
}

/**
 * Most member dates one catch-up merge takes. Redshift runs a transaction as one BatchExecuteStatement
 * of at most 40 statements; a merge takes 19 at most (tables, classification, merge, statistics,
 * ledger) plus 2 per member date (its staging table and its COPY), so 10 dates fit any dimension.
 */
export const MAX_DIMENSION_MERGE_MEMBERS = 10;

export interface DimensionMergeMember {
  /** YYYY-MM-DD; members come oldest first, one day apart. */
  logicalDate: string;
  /** The identity the date's own daily plan gave the scd2 stage: its runKey is the date's ledger batch id. */
  identity: StageRunIdentity;
}

export interface PlanDimensionMergeRequest {
  pipeline: string;
  /** An scd2 stage of the pipeline. */
  stageId: string;
  /** 1..MAX_DIMENSION_MERGE_MEMBERS consecutive dates in date order. */
  members: DimensionMergeMember[];
}

/**
 * Catch-up merges: several consecutive dates of one dimension merged in ONE transaction, equal to
 * merging them one by one (core/sql/scd2-merge.ts). Each date keeps its own ledger and statistics rows
 * (batch id = its identity's runKey), so a date can still be rerun alone; a member already in the
 * ledger is left out of the batch. The returned input runs with runRedshiftStage; it has a run key of
 * its own (derived from the members) and a ledgerLookup that finds a row only when every member is in
 * the ledger. The caller records each member's stage as done (recordStageDone) after it succeeds.
 */
export interface DimensionMergeActivities {
  planDimensionMerge(request: PlanDimensionMergeRequest): Promise<RedshiftStageInput>;
}

/** The canonical id of a daily run: also the base of every AWS idempotency key of that date. */
export function dailyRunId(pipeline: string, logicalDate: string): string {
  return `${pipeline}/${logicalDate}`;
}

export function backfillRunId(pipeline: string, from: string, to: string): string {
  return `${pipeline}/backfill/${from}..${to}`;
}

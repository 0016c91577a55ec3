/**
 * The activities the workflows call, as types only: workflows import this (never activities/), and
 * activities/ implements it. Keeps the one-way arrows of the architecture.
 */
import type { Plan } from './plan';
import type {
  AppFlowStageInput,
  DmsStageInput,
  EmrServerlessStageInput,
  GlueStageInput,
  RedshiftStageInput,
  StageResult,
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

export interface PipelineActivities {
  planDailyRun(request: PlanDailyRunRequest): Promise<Plan>;
  recordStageDone(request: RecordStageDoneRequest): Promise<void>;
  runDmsStage(input: DmsStageInput): Promise<StageResult>;
  runAppFlowStage(input: AppFlowStageInput): Promise<StageResult>;
  runGlueStage(input: GlueStageInput): Promise<StageResult>;
  runEmrServerlessStage(input: EmrServerlessStageInput): Promise<StageResult>;
  runRedshiftStage(input: RedshiftStageInput): Promise<StageResult>;
}

/** The canonical id of a daily run: also the base of every AWS idempotency key of that date. */
export function dailyRunId(pipeline: string, logicalDate: string): string {
  return `${pipeline}/${logicalDate}`;
}

export function backfillRunId(pipeline: string, from: string, to: string): string {
  return `${pipeline}/backfill/${from}..${to}`;
}

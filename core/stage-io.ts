/**
 * What the workflow hands to a stage activity and what it gets back. Shared by workflows/ (types only),
 * activities/ and the emulator. Everything here must stay serialisable and small (payloads <= 2 MB).
 */
import type { CheckOutcome } from './check-outcome';
import type { QualityCheck } from './quality-checks';

/** Identifies one execution of one stage; the idempotency key of every AWS call derives from it. */
export interface StageRunIdentity {
  /** `<pipeline>/<logical date>`: the daily run's workflow id. */
  workflowId: string;
  pipeline: string;
  /** YYYY-MM-DD, the data interval's date in the pipeline's time zone. */
  logicalDate: string;
  stageId: string;
  /** 0 for the first run of a date; each deliberate rerun bumps it so AWS jobs get fresh keys. */
  generation: number;
  /** Deterministic key derived from the fields above (see core/run-key.ts). */
  runKey: string;
  /**
   * When this generation of the date was first planned (UTC ISO-8601). No AWS run carrying `runKey`
   * can be older, so a look-up by run key (Glue GetJobRuns, EMR Serverless ListJobRuns) stops there
   * instead of paging through every run of a shared job.
   */
  plannedAt?: string;
}

/** How a stage activity polls a running AWS job. */
export interface PollSettings {
  initialIntervalMs: number;
  maxIntervalMs: number;
  backoffCoefficient: number;
}

/** Where rows that fail validation go, and where the job reports its counts. */
interface JobManifestLocation {
  /** s3:// URI of the metrics JSON the job writes on success (see JobMetrics). */
  metricsUri: string;
}

export interface GlueStageInput {
  kind: 'glue';
  identity: StageRunIdentity;
  poll: PollSettings;
  jobName: string;
  /** Job arguments, keys with leading `--`. The activity adds `--medallion_run_key`. */
  arguments: Record<string, string>;
  /** Optional crawler to run after the job succeeds (updates the Data Catalog). */
  crawlerName?: string;
  metrics: JobManifestLocation;
  checks?: LakeCheckPlan;
}

export interface EmrServerlessStageInput {
  kind: 'emr-serverless';
  identity: StageRunIdentity;
  poll: PollSettings;
  applicationId: string;
  executionRoleArn: string;
  jobName: string;
  entryPoint: string;
  entryPointArguments: string[];
  sparkSubmitParameters?: string;
  metrics: JobManifestLocation;
  checks?: LakeCheckPlan;
}

/**
 * The checks of a job stage: the job measures the SQL ones (manifest `checks`, results in its
 * metrics), the activity judges them with the row counts and the trailing days' metrics.
 */
export interface LakeCheckPlan {
  declared: QualityCheck[];
  /** Metrics JSON of the earlier dates a trailing row-count bound looks at, newest first. */
  trailingMetricsUris: string[];
}

/**
 * The checks of a warehouse stage, measured before the merge or load statement runs: `probe` is a
 * BatchExecuteStatement that stages the batch in a session temp table (as the load does) and then
 * runs one measuring SELECT per check; results are read per sub-statement. Only when no blocking
 * check failed does the load batch run, so a failed check loads nothing.
 */
export interface WarehouseCheckPlan {
  declared: QualityCheck[];
  probe: string[];
  /** Check name -> 1-based position of its measuring SELECT in `probe`. */
  measures: Record<string, number>;
  /** 1-based position of the staged row count SELECT in `probe`. */
  rowCountStatement: number;
  /** 1-based position of the SELECT of earlier dates' measured row counts (column `measured`). */
  trailingStatement?: number;
}

export interface DmsStageInput {
  kind: 'dms';
  identity: StageRunIdentity;
  poll: PollSettings;
  replicationTaskArn: string;
  /**
   * Start of the CDC window, UTC ISO-8601 (start of the logical date in the pipeline's zone): where the
   * task's first window starts (CdcStartTime), since a start without a position captures from now.
   */
  windowStartUtc: string;
  /** Exclusive end of the CDC window, UTC ISO-8601 (end of the logical date in the pipeline's zone). */
  windowEndUtc: string;
  /** s3:// prefix where the activity keeps one checkpoint object per logical date. */
  checkpointPrefix: string;
  /** Tables the task replicates (for landing checks and counts). */
  tables: string[];
  /** s3:// prefix of the task's CDC output (bronze). */
  outputPrefix: string;
}

export interface AppFlowStageInput {
  kind: 'appflow';
  identity: StageRunIdentity;
  poll: PollSettings;
  flowName: string;
  /** s3:// prefix the flow writes to (bronze). */
  outputPrefix: string;
}

/** Where Redshift Data API statements run. Exactly one of workgroupName / clusterIdentifier. */
export interface RedshiftTarget {
  database: string;
  workgroupName?: string;
  clusterIdentifier?: string;
  secretArn?: string;
  dbUser?: string;
}

export interface RedshiftStageInput {
  kind: 'redshift';
  identity: StageRunIdentity;
  poll: PollSettings;
  target: RedshiftTarget;
  /** Executed in order as ONE transaction (BatchExecuteStatement). */
  sqls: string[];
  /**
   * One SELECT returning the batch's load-ledger row (column `rows`), or no row when the batch has not
   * been applied. A resumed attempt whose statement the Data API no longer knows (it keeps them 24 h)
   * asks the ledger whether the load committed instead of failing.
   */
  ledgerLookup?: string;
  /**
   * The COPYs of this stage's batch, one per date it loads: before each new statement the activity
   * lists the part files under each `sourceUri` (skipping `_SUCCESS` and other hidden objects), checks
   * the first one's Parquet schema against `columns` (COPY maps columns by position) and writes the
   * COPY manifest to `manifestUri`.
   */
  copies?: CopySource[];
  /**
   * Set for a catch-up merge of several dates (planDimensionMerge): each member date and the generation
   * its identity had. Failures name the dates; each member's stage-done marker is written on success.
   */
  members?: { logicalDate: string; generation: number }[];
  checks?: WarehouseCheckPlan;
}

export interface CopySource {
  sourceUri: string;
  manifestUri: string;
  /** The staging table's columns, in order (portable types, core/warehouse-spec.ts). */
  columns: { name: string; type: string }[];
}

export type StageInput =
  GlueStageInput | EmrServerlessStageInput | DmsStageInput | AppFlowStageInput | RedshiftStageInput;

/** Where a pipeline's check outcomes are recorded: `<schema>.medallion_check_results` in the warehouse. */
export interface CheckRecording {
  target: RedshiftTarget;
  dialect: 'redshift' | 'duckdb';
  copyRoleArn: string;
  schema: string;
}

/** Written by a job (Glue / EMR Serverless SQL runner) next to its output. */
export interface JobMetrics {
  rowsIn: number;
  rowsOut: number;
  quarantined: number;
  /** What each of the manifest's check SELECTs measured (core/job-manifest.ts, point 5). */
  checks?: Record<string, number | null>;
}

export interface StageResult {
  stageId: string;
  /** The AWS identifier of the run: Glue JobRunId, EMR jobRunId, Redshift statement id, ... */
  awsRunId: string;
  /** The service's own terminal state, e.g. SUCCEEDED, FINISHED, stopped. */
  awsState: string;
  /** True when this attempt attached to a run an earlier attempt had started. */
  attached: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  rowsIn?: number;
  rowsOut?: number;
  quarantined?: number;
  consoleUrl?: string;
  /** Service-specific facts worth showing (e.g. DMS checkpoint, SCD2 versions opened/closed). */
  details?: Record<string, string | number>;
  /** The stage's data-quality check outcomes (none failed blocking, or the stage would have failed). */
  checks?: CheckOutcome[];
}

/** Heartbeat details of a polling stage activity: lets a retried attempt resume the same AWS run. */
export interface StageHeartbeat {
  awsRunId: string;
  awsState: string;
  startedAt: string;
  polls: number;
}

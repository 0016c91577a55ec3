/**
 * Seam between the emulator's services (control plane: DMS, AppFlow) and the deterministic source
 * simulator (data plane). Changes are a pure function of (seed, time): any split of a time range
 * into windows yields the same records as the whole range.
 */

/** Maps an s3:// URI onto the emulator's lake directory (`<lakeDir>/<bucket>/<key>`). */
export type S3PathResolver = (s3Uri: string) => string;

export interface DmsWindowRequest {
  seed: number;
  /** Source schema name as it appears in the output path (`bronze/cdc/<schema>/...`). */
  schema: string;
  tables: string[];
  /** Inclusive start and exclusive end of the commit-time window, UTC. */
  fromUtc: Date;
  toUtc: Date;
  /** When true, the window starts with a full load (Op = 'I' for every row present at `fromUtc`). */
  fullLoad: boolean;
  /** DMS DatePartitionTimezone: the commit date of a change, in this zone, picks its folder. */
  partitionTimeZone: string;
  /**
   * The S3 target's CdcMaxBatchInterval in seconds: a CDC file holds at most this much commit time,
   * counted from the window start (the task starts there).
   */
  cdcMaxBatchInterval: number;
  /** s3:// prefix the task writes to, e.g. s3://lake/bronze/cdc/ */
  outputUri: string;
  resolve: S3PathResolver;
}

export interface DmsWindowResult {
  perTable: Record<string, { rows: number; files: string[] }>;
  /** Commit time of the last change written (UTC ISO), or the window start when none. */
  lastCommitUtc: string;
}

export interface AppFlowRequest {
  seed: number;
  /** The SaaS object the flow pulls, e.g. "accounts". */
  object: string;
  /** Snapshot of the object as of this instant (UTC). */
  asOfUtc: Date;
  /** s3:// prefix for this execution's files (bronze/saas/_appflow/<flow>/<executionId>/). */
  outputUri: string;
  resolve: S3PathResolver;
}

export interface AppFlowResult {
  recordsProcessed: number;
  bytesWritten: number;
  files: string[];
}

export interface SourceSimulator {
  /**
   * Where the source database's change log begins (its retention): a CDC start before it cannot be
   * served, as a real source that purged its binlog / WAL cannot. Undefined: the log reaches back forever.
   */
  readonly changeLogStartUtc?: Date;
  writeDmsWindow(request: DmsWindowRequest): Promise<DmsWindowResult>;
  writeAppFlowSnapshot(request: AppFlowRequest): Promise<AppFlowResult>;
}

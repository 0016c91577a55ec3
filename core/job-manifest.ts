/**
 * The contract between a Glue / EMR Serverless stage and the SQL runner job that executes it
 * (jobs/sql_runner.py on AWS, the emulator's DuckDB runner locally). The plan serialises one manifest
 * per job run as JSON into the job's arguments (`--medallion_manifest` for Glue, the argument after
 * `--manifest` for EMR Serverless), so the same job script serves every table.
 *
 * Semantics, identical on both engines:
 * 1. every input is registered as a view named `name` over the files under `uri` (Parquet);
 *    a missing prefix is an empty view only when `optional` is true, else the job fails;
 *    (an absent optional input needs its `columns` hint to type the empty view);
 * 2. `sql` is ONE SELECT in the Spark-SQL / DuckDB common subset over those views;
 *    `${logical_date}` in it is replaced by the logical date (YYYY-MM-DD) by the runner; the plan has
 *    already bound `${day_start_utc}` / `${day_end_utc}` (the day's bounds in the pipeline's zone, as
 *    UTC 'YYYY-MM-DD HH:MM:SS': the two engines share no time-zone function) and `${time_zone}`;
 * 3. rows for which `quarantineWhen` is true go to `quarantineUri` with a `_quarantine_reason` column
 *    (the SELECT's own `_quarantine_reason` column when it has one, else the predicate text; the
 *    column is dropped from the output), the others to `outputUri`; both are OVERWRITTEN (one
 *    partition per logical date), which makes a re-run of the job idempotent;
 * 4. on success the job writes JobMetrics JSON to `metricsUri`
 *    ({ rowsIn: rows the SELECT produced, rowsOut, quarantined });
 * 5. each of `checks` is ONE SELECT (core/sql/check-queries.ts) over the view `_medallion_output` (the
 *    rows written to outputUri) and the inputs, returning one row with a numeric `measured` column;
 *    the metrics JSON carries `checks: { <name>: measured }`. The job measures, it does not judge: the
 *    stage's activity holds each value to its bound.
 */
export interface JobManifest {
  pipeline: string;
  stageId: string;
  logicalDate: string;
  inputs: JobInput[];
  sql: string;
  quarantineWhen?: string;
  outputUri: string;
  quarantineUri: string;
  metricsUri: string;
  checks?: JobCheck[];
}

export interface JobCheck {
  name: string;
  sql: string;
}

/** The view of the job's written output that check SELECTs read. */
export const CHECKED_OUTPUT_VIEW = '_medallion_output';

export interface JobInput {
  name: string;
  /** s3:// prefix; every *.parquet object below it is read. */
  uri: string;
  optional?: boolean;
  /** Column name -> common SQL type (BIGINT, STRING, TIMESTAMP, ...): the schema of an absent input. */
  columns?: Record<string, string>;
}

export const GLUE_MANIFEST_ARGUMENT = '--medallion_manifest';
export const GLUE_RUN_KEY_ARGUMENT = '--medallion_run_key';
export const EMR_MANIFEST_FLAG = '--manifest';

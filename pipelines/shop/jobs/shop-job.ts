import type { JobDefinitionInput } from '../../../core/pipeline-spec';

/**
 * One Glue / EMR Serverless stage of the shop pipeline, run by the generic SQL runner: spread it into
 * the pipeline spec's stages and add `dependsOn` (and timeouts) there.
 *
 * Placeholders in `job.sql`:
 * - `${logical_date}`: substituted by the runner (YYYY-MM-DD);
 * - `${day_start_utc}`, `${day_end_utc}`: the logical date's bounds in the pipeline's time zone, as UTC
 *   'YYYY-MM-DD HH:MM:SS' (core/dates.ts dayWindowUtc), bound when the plan builds the manifest. The
 *   Spark-SQL / DuckDB common subset has no time-zone conversion function (Spark's from_utc_timestamp
 *   and DuckDB's timezone()/AT TIME ZONE differ), so the SQL compares UTC timestamps with these bounds.
 */
export interface ShopJobStage {
  id: string;
  kind: 'glue' | 'emr-serverless';
  description: string;
  job: ShopJobDefinition;
}

/**
 * core's job definition plus, per input, the `columns` hint (name -> common SQL type) that types the
 * empty view of an absent optional input (see emulator/jobs/manifest-schema.ts).
 */
type ShopJobDefinition = Omit<JobDefinitionInput, 'inputs'> & {
  inputs: (JobDefinitionInput['inputs'][number] & { columns?: Record<string, string> })[];
};

export const DAY_START_PLACEHOLDER = '${day_start_utc}';
export const DAY_END_PLACEHOLDER = '${day_end_utc}';

/**
 * The input of the daily pipeline workflow, as its callers build it: the CLI, the schedules, the
 * backfill and a person in the Temporal UI. workflows/daily-input.ts checks it field by field.
 */
export interface DailyPipelineInput {
  pipeline: string;
  /** YYYY-MM-DD. Optional only for schedule-started runs (derived from the scheduled time). */
  logicalDate?: string;
  /** Run a date again: finished stages are skipped, the rest get fresh AWS idempotency keys. */
  rerun?: boolean;
  /** Run only these stage ids (their dependencies count as done). */
  stages?: string[];
}

import type { CheckOutcome } from './check-outcome';

/** What a daily run reports: per stage, and in total. Returned by the workflow and its `progress` query. */
/** `waiting`: a backfill's SCD2 merge (or a stage downstream of one) waiting for the dimension lane. */
type StageStatus =
  | 'pending'
  | 'waiting'
  | 'running'
  | 'succeeded'
  | 'skipped'
  | 'failed'
  | 'blocked'
  | 'not-selected'
  | 'cancelled';

export interface StageReport {
  id: string;
  kind: string;
  summary: string;
  status: StageStatus;
  /** The job attempt (1 = first AWS run; each job retry or reset replacing a FAILED run adds one). */
  attempt?: number;
  awsRunId?: string;
  awsState?: string;
  attached?: boolean;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  rowsIn?: number;
  rowsOut?: number;
  quarantined?: number;
  consoleUrl?: string;
  details?: Record<string, string | number>;
  /** Why it failed, or which failed stage blocked it. */
  error?: string;
  /** The stage's data-quality checks, evaluated on its latest attempt (absent when it declares none). */
  checks?: CheckOutcome[];
  /** The failure's type (`AwsJobFailed`, `Timeout`, ...), as alerts name it. */
  errorClass?: string;
}

/**
 * `rejected`: the input was refused before anything ran (a field named in the failure).
 * `awaiting-merge`: a backfill's run of the date is waiting for the backfill's dimension lane to
 * merge it. A run ends `succeeded` only when every stage it was to run, merges included, is done.
 */
type RunStatus =
  'planning' | 'running' | 'awaiting-merge' | 'succeeded' | 'failed' | 'cancelled' | 'rejected';

export interface DailyRunReport {
  pipeline: string;
  logicalDate: string;
  generation: number;
  status: RunStatus;
  stages: StageReport[];
  totals: { rowsIn: number; rowsOut: number; quarantined: number };
}

export function totalsOf(stages: StageReport[]): DailyRunReport['totals'] {
  return stages.reduce(
    (acc, s) => ({
      rowsIn: acc.rowsIn + (s.rowsIn ?? 0),
      rowsOut: acc.rowsOut + (s.rowsOut ?? 0),
      quarantined: acc.quarantined + (s.quarantined ?? 0),
    }),
    { rowsIn: 0, rowsOut: 0, quarantined: 0 },
  );
}

import type { CheckOutcome } from './check-outcome';

/** What a daily run reports: per stage, and in total. Returned by the workflow and its `progress` query. */
type StageStatus =
  'pending' | 'running' | 'succeeded' | 'skipped' | 'failed' | 'blocked' | 'not-selected' | 'cancelled';

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
 * `awaiting-merge`: a backfill's run of the date did all it was to do, and the date's SCD2 merges
 * (deferred to the backfill's dimension lane) have not run yet: the date is not `succeeded` until
 * they have.
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

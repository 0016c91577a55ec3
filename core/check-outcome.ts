/**
 * The result of one data-quality check of one stage on one logical date. It rides on the stage's
 * entry in the run report (`StageReport.checks`), so the run's query, Current Details, the CLI and
 * the alerts all read the same record.
 */
type CheckSeverity = 'block' | 'warn';

export interface CheckOutcome {
  /** The check's name as declared in the pipeline spec (unique within its stage). */
  check: string;
  stageId: string;
  /** `block`: a failure fails the stage and loads nothing. `warn`: recorded (and alerted), nothing stops. */
  severity: CheckSeverity;
  passed: boolean;
  /** What the check measured (a row count, a ratio, a timestamp...); null when there was nothing to measure. */
  measured: number | string | null;
  /** The bound it was held to, in words: `>= 1000`, `<= 0.02`, `= 0 duplicate keys`. */
  bound: string;
  /** One line naming the check, the measured value and the bound. */
  message: string;
}

/** What a DataQualityFailed stage failure carries as its details[0]: every outcome of the stage. */
export interface DataQualityFailureDetails {
  checks: CheckOutcome[];
}

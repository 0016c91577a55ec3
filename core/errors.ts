/**
 * Failure types the workflows and the retry policies understand. Activities throw
 * `ApplicationFailure`s whose `type` is one of these; the retry policy of every stage lists the
 * non-retryable ones, so a validation error never burns a retry budget.
 */
export const FailureType = {
  /** The AWS job ran and ended in a failure state (Glue FAILED, EMR FAILED, ...). Rerun to retry. */
  AwsJobFailed: 'AwsJobFailed',
  /** Throttling (ThrottlingException, TooManyRequests, ...). Retried. */
  AwsThrottled: 'AwsThrottled',
  /** 5xx, timeouts, connection resets. Retried. */
  AwsServiceUnavailable: 'AwsServiceUnavailable',
  /** Too many concurrent runs of a job; retried after the attach check. */
  AwsConcurrencyLimit: 'AwsConcurrencyLimit',
  /** ValidationException, InvalidParameter...: the request is wrong; fix config. Not retried. */
  AwsInvalidRequest: 'AwsInvalidRequest',
  /** The job, application, task, flow or workgroup does not exist. Not retried. */
  AwsNotFound: 'AwsNotFound',
  /** AccessDenied, UnauthorizedOperation. Not retried. */
  AwsAccessDenied: 'AwsAccessDenied',
  /** A workflow input a person typed is wrong. Not retried. */
  InvalidInput: 'InvalidInput',
  /** The pipeline definition or environment config is wrong. Not retried. */
  InvalidConfig: 'InvalidConfig',
  /**
   * A blocking data-quality check of the stage failed (details: the stage's `CheckOutcome`s). Retrying
   * reads the same data, so it is not retried: fix the data, then rerun the date.
   */
  DataQualityFailed: 'DataQualityFailed',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];

export const NON_RETRYABLE_FAILURES: readonly FailureType[] = [
  FailureType.AwsJobFailed,
  FailureType.AwsInvalidRequest,
  FailureType.AwsNotFound,
  FailureType.AwsAccessDenied,
  FailureType.InvalidInput,
  FailureType.InvalidConfig,
  FailureType.DataQualityFailed,
];

/** Details attached to an AWS failure (ApplicationFailure.details[0]). */
export interface AwsFailureDetails {
  service: string;
  awsRunId?: string;
  awsState?: string;
  awsErrorCode?: string;
  message: string;
  consoleUrl?: string;
  /**
   * The failed run was found by the stage's run key, started before this activity asked (a reset
   * or replanned run meeting an earlier failure): the workflow starts a new attempt for it at once.
   */
  foundByRunKey?: boolean;
}

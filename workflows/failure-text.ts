import { ActivityFailure, ApplicationFailure, TemporalFailure, TimeoutFailure } from '@temporalio/workflow';
import type { CheckOutcome, DataQualityFailureDetails } from '../core/check-outcome';
import { FailureType } from '../core/errors';

/** The most useful one-line explanation of a stage failure: the AWS cause, not the wrapper. */
export function describeFailure(error: unknown): string {
  let current: unknown = error;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  if (current instanceof TimeoutFailure) {
    const which = String(current.timeoutType).replace(/^TIMEOUT_TYPE_/, '');
    return `timed out (${which} timeout of the stage; raise timeouts in the pipeline spec if the job needs longer)`;
  }
  if (current instanceof ApplicationFailure)
    return current.type ? `${current.type}: ${current.message}` : current.message;
  if (current instanceof TemporalFailure) return current.message;
  return current instanceof Error ? current.message : String(current);
}

/**
 * The class of a stage failure, as alerts name it: the ApplicationFailure type of the cause (an AWS
 * failure type, `DataQualityFailed`, ...), `Timeout` for a timeout, else the error's name.
 */
export function failureClass(error: unknown): string {
  let current: unknown = error;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  if (current instanceof TimeoutFailure) return 'Timeout';
  if (current instanceof ApplicationFailure) return current.type ?? 'ApplicationFailure';
  return current instanceof Error ? current.name : 'Error';
}

/** The AWS console link an AWS failure carries (AwsFailureDetails.consoleUrl), if any. */
export function failureConsoleUrl(error: unknown): string | undefined {
  let current: unknown = error;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  if (!(current instanceof ApplicationFailure)) return undefined;
  const details = current.details?.[0] as { consoleUrl?: unknown } | undefined;
  return typeof details?.consoleUrl === 'string' ? details.consoleUrl : undefined;
}

/** The check outcomes a DataQualityFailed stage failure carries, else undefined. */
export function checkOutcomesOf(error: unknown): CheckOutcome[] | undefined {
  let current: unknown = error;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  if (!(current instanceof ApplicationFailure) || current.type !== FailureType.DataQualityFailed)
    return undefined;
  const details = current.details?.[0] as Partial<DataQualityFailureDetails> | undefined;
  return Array.isArray(details?.checks) ? details.checks : undefined;
}

/**
 * Every AWS SDK call of the activities goes through `awsCall`: it passes the activity's cancellation
 * signal to `send()`, turns a cancelled call into the activity's CancelledFailure and any other error
 * into a classified ApplicationFailure (see aws-errors.ts).
 *
 * Clean-up after a cancellation (stopping the AWS run, waiting for it to end) must not be aborted by
 * that same cancellation: code run inside `detachedFromCancellation` sends without the signal.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { CancelledFailure, Context } from '@temporalio/activity';
import { awsCallFailure, type FailureSubject } from './aws-errors';

const cleanupScope = new AsyncLocalStorage<true>();

export interface SendOptions {
  abortSignal?: AbortSignal;
}

/** The current activity's Context, or undefined when called outside an activity (e.g. a script). */
export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

function isDetachedFromCancellation(): boolean {
  return cleanupScope.getStore() === true;
}

export function detachedFromCancellation<T>(work: () => Promise<T>): Promise<T> {
  return cleanupScope.run(true, work);
}

function sendOptions(): SendOptions {
  if (isDetachedFromCancellation()) return {};
  const context = activityContext();
  return context ? { abortSignal: context.cancellationSignal } : {};
}

export function cancellationFrom(signal: AbortSignal): CancelledFailure {
  const reason: unknown = signal.reason;
  if (reason instanceof CancelledFailure) return reason;
  return new CancelledFailure(typeof reason === 'string' ? reason : 'CANCELLED');
}

export async function awsCall<T>(
  subject: FailureSubject,
  operation: string,
  call: (options: SendOptions) => Promise<T>,
): Promise<T> {
  const options = sendOptions();
  try {
    return await call(options);
  } catch (error) {
    if (options.abortSignal?.aborted) throw cancellationFrom(options.abortSignal);
    throw awsCallFailure(error, subject, operation);
  }
}

/** The region an SDK client is configured for (a value or a provider); undefined when unresolvable. */
export async function clientRegion(client: { config: { region?: unknown } }): Promise<string | undefined> {
  try {
    const region = client.config.region;
    const value: unknown = typeof region === 'function' ? await (region as () => Promise<unknown>)() : region;
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

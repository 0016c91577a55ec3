import { ApplicationFailure, CancelledFailure, type Info } from '@temporalio/activity';
import { ActivityCancellationDetails } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { expect } from 'vitest';
import type { AwsFailureDetails } from '../../core/errors';
import { stageRunKey } from '../../core/run-key';
import type { PollSettings, StageHeartbeat, StageRunIdentity } from '../../core/stage-io';

const REGION = 'eu-west-1';
export const clientConfig = { region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

/** Millisecond polling: MockActivityEnvironment's Context.sleep is a real setTimeout. */
export const FAST_POLL: PollSettings = { initialIntervalMs: 1, maxIntervalMs: 4, backoffCoefficient: 2 };

export function identity(
  stageId = 'silver_orders',
  generation = 0,
  logicalDate = '2024-05-02',
): StageRunIdentity {
  const workflowId = `shop/${logicalDate}`;
  return {
    workflowId,
    pipeline: 'shop',
    logicalDate,
    stageId,
    generation,
    runKey: stageRunKey(workflowId, stageId, generation),
  };
}

export interface Harness {
  env: MockActivityEnvironment;
  heartbeats: StageHeartbeat[];
  /** env.run with the activity's own argument and result types. */
  run<A extends unknown[], R>(activity: (...args: A) => Promise<R>, ...args: A): Promise<R>;
}

/** An activity environment that records heartbeats; `info` may carry a previous attempt's details. */
export function harness(info: Partial<Info> = {}): Harness {
  const env = new MockActivityEnvironment(
    { heartbeatTimeoutMs: 60_000, ...info },
    { logger: new DefaultLogger('ERROR') },
  );
  const heartbeats: StageHeartbeat[] = [];
  env.on('heartbeat', (details: StageHeartbeat) => heartbeats.push(details));
  const run = <A extends unknown[], R>(activity: (...args: A) => Promise<R>, ...args: A) =>
    env.run<A, R, typeof activity>(activity, ...args);
  return { env, heartbeats, run };
}

/** Cancels the activity, as the workflow would, at the first heartbeat reporting `state`. */
export function cancelAtState(h: Harness, state: string, details?: ActivityCancellationDetails): void {
  let done = false;
  h.env.on('heartbeat', (beat: StageHeartbeat) => {
    if (done || beat.awsState !== state) return;
    done = true;
    if (details) h.env.cancel('WORKER_SHUTDOWN', details);
    else h.env.cancel();
  });
}

export const workerShutdown = () => new ActivityCancellationDetails({ workerShutdown: true });

export async function expectCancelled(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(CancelledFailure);
}

export interface ExpectedFailure {
  type: string;
  nonRetryable: boolean;
  messageIncludes?: string[];
  details?: Partial<AwsFailureDetails>;
}

export async function expectFailure(
  promise: Promise<unknown>,
  expected: ExpectedFailure,
): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  const failure = error as ApplicationFailure;
  expect(failure.type).toBe(expected.type);
  expect(failure.nonRetryable).toBe(expected.nonRetryable);
  for (const part of expected.messageIncludes ?? []) expect(failure.message).toContain(part);
  if (expected.details) expect(failure.details?.[0]).toMatchObject(expected.details);
  return failure;
}

/** A GetObject output whose Body reads as the given JSON. */
export function jsonBody(value: unknown) {
  const text = JSON.stringify(value);
  return { Body: { transformToString: () => Promise.resolve(text) } } as never;
}

/** The second argument of a mocked `send` call: the HTTP handler options (abortSignal). */
export function sendOptionsOf(call: { args: unknown[] }): { abortSignal?: AbortSignal } | undefined {
  return call.args[1] as { abortSignal?: AbortSignal } | undefined;
}

export function previousAttempt(heartbeat: StageHeartbeat): Partial<Info> {
  return { attempt: 2, heartbeatDetails: heartbeat };
}

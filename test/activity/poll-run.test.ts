import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { FailureType } from '../../core/errors';
import { stageDefaults } from '../../core/stage-defaults';
import type { PollSettings, StageHeartbeat } from '../../core/stage-io';
import {
  DEFAULT_JOB_POLL,
  MAX_CONSECUTIVE_STATUS_ERRORS,
  nextPollDelayMs,
  type RunPhase,
  type RunSpec,
  runToTerminal,
  statusCallsFor,
} from '../../activities/poll-run';
import {
  cancelAtState,
  expectCancelled,
  expectFailure,
  FAST_POLL,
  harness,
  previousAttempt,
  workerShutdown,
} from '../support/activity-harness';

/** A scripted AWS run: each describe() returns the next state; after stop() it reports STOPPING, STOPPED. */
function fakeService(states: string[], options: { existing?: string } = {}) {
  const calls = { find: 0, start: 0, describe: [] as string[], stop: [] as string[] };
  let index = 0;
  let stopped = 0;
  const phases: Record<string, RunPhase> = {
    RUNNING: 'running',
    STOPPING: 'running',
    DONE: 'succeeded',
    BROKEN: 'failed',
    STOPPED: 'failed',
  };
  const spec: RunSpec<string> = {
    service: 'Glue',
    job: 'fake-job',
    poll: FAST_POLL,
    stopWaitMs: 1_000,
    consoleUrl: (id) => `https://console.example/${id}`,
    findExisting: () => {
      calls.find += 1;
      return Promise.resolve(
        options.existing ? { runId: options.existing, startedAt: '2024-05-02T01:00:00.000Z' } : undefined,
      );
    },
    start: () => {
      calls.start += 1;
      return Promise.resolve({ runId: 'run-new' });
    },
    describe: (id) => {
      calls.describe.push(id);
      if (calls.stop.length > 0) return Promise.resolve(++stopped >= 2 ? 'STOPPED' : 'STOPPING');
      const state = states[Math.min(index, states.length - 1)]!;
      index += 1;
      return Promise.resolve(state);
    },
    stateOf: (s) => s,
    phaseOf: (s) => phases[s] ?? 'running',
    failureMessage: (s) => `the fake run is ${s}`,
    stop: (id) => {
      calls.stop.push(id);
      return Promise.resolve();
    },
  };
  return { spec, calls };
}

describe('runToTerminal', () => {
  it('starts a run when none exists, heartbeats its id at once and polls to success', async () => {
    const h = harness();
    const { spec, calls } = fakeService(['RUNNING', 'RUNNING', 'DONE']);
    const outcome = await h.run(() => runToTerminal(spec));
    expect(calls).toMatchObject({ find: 1, start: 1, describe: ['run-new', 'run-new', 'run-new'] });
    expect(outcome).toMatchObject({ runId: 'run-new', state: 'DONE', attached: false, statusCalls: 3 });
    expect(outcome.consoleUrl).toBe('https://console.example/run-new');
    expect(h.heartbeats[0]).toMatchObject({ awsRunId: 'run-new', awsState: 'STARTED', polls: 0 });
    expect(h.heartbeats.at(-1)).toMatchObject({ awsRunId: 'run-new', awsState: 'DONE', polls: 3 });
  });

  it('attaches to a run found by key without starting one', async () => {
    const h = harness();
    const { spec, calls } = fakeService(['DONE'], { existing: 'run-old' });
    const outcome = await h.run(() => runToTerminal(spec));
    expect(calls.start).toBe(0);
    expect(outcome).toMatchObject({
      runId: 'run-old',
      attached: true,
      startedAt: '2024-05-02T01:00:00.000Z',
    });
    expect(h.heartbeats[0]).toMatchObject({ awsRunId: 'run-old', awsState: 'ATTACHED' });
  });

  it('resumes the run of a previous attempt from heartbeat details: no look-up, no start, polls keep counting', async () => {
    const earlier: StageHeartbeat = {
      awsRunId: 'run-7',
      awsState: 'RUNNING',
      startedAt: '2024-05-02T01:00:00.000Z',
      polls: 12,
    };
    const h = harness(previousAttempt(earlier));
    const { spec, calls } = fakeService(['RUNNING', 'DONE']);
    const outcome = await h.run(() => runToTerminal(spec));
    expect(calls).toMatchObject({ find: 0, start: 0, describe: ['run-7', 'run-7'] });
    expect(outcome).toMatchObject({
      runId: 'run-7',
      attached: true,
      statusCalls: 14,
      startedAt: earlier.startedAt,
    });
  });

  it('throws a non-retryable AwsJobFailed naming run, state, message and console link', async () => {
    const h = harness();
    const { spec } = fakeService(['RUNNING', 'BROKEN']);
    await expectFailure(
      h.run(() => runToTerminal(spec)),
      {
        type: FailureType.AwsJobFailed,
        nonRetryable: true,
        messageIncludes: [
          'Glue fake-job run run-new ended BROKEN: the fake run is BROKEN (https://console.example/run-new)',
        ],
        details: { awsRunId: 'run-new', awsState: 'BROKEN', consoleUrl: 'https://console.example/run-new' },
      },
    );
  });

  it('heartbeats at least every heartbeatTimeout / 3 while waiting out a longer poll interval', async () => {
    const h = harness({ heartbeatTimeoutMs: 30 });
    const { spec } = fakeService(['RUNNING', 'DONE']);
    spec.poll = { initialIntervalMs: 100, maxIntervalMs: 100, backoffCoefficient: 1 };
    await h.run(() => runToTerminal(spec));
    // start + 1st status + chunks of 10 ms over 100 ms + 2nd status
    const waiting = h.heartbeats.filter((b) => b.polls === 1);
    expect(waiting.length).toBeGreaterThanOrEqual(10);
  });

  it('polls through a few transient status errors, then gives up with the retryable failure', async () => {
    const h = harness();
    const { spec } = fakeService(['RUNNING', 'DONE']);
    const throttled = () =>
      ApplicationFailure.create({ type: FailureType.AwsThrottled, message: 'throttled' });
    let failures = 0;
    const describeOk = spec.describe;
    spec.describe = (id) => (failures++ < 2 ? Promise.reject(throttled()) : describeOk(id));
    const outcome = await h.run(() => runToTerminal(spec));
    expect(outcome.statusCalls).toBe(4);

    const h2 = harness();
    const always = fakeService(['RUNNING']);
    let attempts = 0;
    always.spec.describe = () => {
      attempts += 1;
      return Promise.reject(throttled());
    };
    await expectFailure(
      h2.run(() => runToTerminal(always.spec)),
      { type: FailureType.AwsThrottled, nonRetryable: false },
    );
    expect(attempts).toBe(MAX_CONSECUTIVE_STATUS_ERRORS);
  });

  it('fails at once on a non-retryable status error', async () => {
    const h = harness();
    const { spec } = fakeService(['RUNNING']);
    spec.describe = () =>
      Promise.reject(ApplicationFailure.create({ type: FailureType.AwsAccessDenied, nonRetryable: true }));
    await expectFailure(
      h.run(() => runToTerminal(spec)),
      { type: FailureType.AwsAccessDenied, nonRetryable: true },
    );
  });

  it('on cancellation by the workflow stops the run, waits for its end and rethrows the cancellation', async () => {
    const h = harness();
    const { spec, calls } = fakeService(['RUNNING']);
    cancelAtState(h, 'RUNNING');
    await expectCancelled(h.run(() => runToTerminal(spec)));
    expect(calls.stop).toEqual(['run-new']);
    // After the stop: STOPPING, then STOPPED ends the wait.
    expect(calls.describe.slice(-2)).toEqual(['run-new', 'run-new']);
  });

  it('leaves the run alone when the worker shuts down: the next attempt attaches', async () => {
    const h = harness();
    const { spec, calls } = fakeService(['RUNNING']);
    cancelAtState(h, 'RUNNING', workerShutdown());
    await expectCancelled(h.run(() => runToTerminal(spec)));
    expect(calls.stop).toEqual([]);
  });

  it('stops a run whose start was interrupted by the cancellation, found by key', async () => {
    const h = harness();
    const { spec, calls } = fakeService(['RUNNING']);
    let starts = 0;
    spec.findExisting = () => Promise.resolve(starts > 0 ? { runId: 'run-racing' } : undefined);
    spec.start = () => {
      starts += 1;
      h.env.cancel();
      return Promise.reject(new Error('aborted'));
    };
    await expectCancelled(h.run(() => runToTerminal(spec)));
    expect(calls.stop).toEqual(['run-racing']);
  });

  it('refuses poll settings that cannot work, naming the field', async () => {
    const h = harness();
    const { spec } = fakeService(['DONE']);
    spec.poll = { initialIntervalMs: 10, maxIntervalMs: 5, backoffCoefficient: 1.5 };
    await expectFailure(
      h.run(() => runToTerminal(spec)),
      { type: FailureType.InvalidConfig, nonRetryable: true, messageIncludes: ['maxIntervalMs'] },
    );
  });
});

describe('poll budget', () => {
  it('grows the interval by the coefficient up to the maximum', () => {
    const poll: PollSettings = { initialIntervalMs: 15_000, maxIntervalMs: 60_000, backoffCoefficient: 1.5 };
    expect([0, 1, 2, 3, 4].map((n) => nextPollDelayMs(poll, n))).toEqual([
      15_000, 22_500, 33_750, 50_625, 60_000,
    ]);
  });

  it('keeps a 1-hour job within 130 status calls with the default job settings', () => {
    const hour = 3_600_000;
    const calls = statusCallsFor(hour, DEFAULT_JOB_POLL);
    expect(calls).toBeLessThanOrEqual(130);
    expect(calls).toBeGreaterThan(50);
    for (const kind of ['glue', 'emr-serverless', 'appflow'] as const) {
      const poll = stageDefaults[kind].poll;
      expect(poll).toEqual({
        initialInterval: '15s',
        maxInterval: '60s',
        backoffCoefficient: DEFAULT_JOB_POLL.backoffCoefficient,
      });
    }
  });

  it('costs about one call per maxInterval once the backoff has grown', () => {
    const poll: PollSettings = { initialIntervalMs: 1_000, maxIntervalMs: 60_000, backoffCoefficient: 2 };
    const sixHours = statusCallsFor(6 * 3_600_000, poll);
    expect(sixHours).toBeGreaterThan(355);
    expect(sixHours).toBeLessThan(370);
  });
});

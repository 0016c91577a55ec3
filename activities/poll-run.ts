/**
 * The shared life cycle of a stage that runs an AWS job: start it or attach to the run an earlier
 * attempt started, heartbeat its id, poll it to a terminal state, and stop it when the workflow cancels.
 *
 * 1. Resume: heartbeat details of an earlier attempt carry the run id: poll that run, start nothing.
 * 2. Otherwise look for a run started with this stage's run key (service-specific), else start one.
 * 3. Heartbeat the run id at once, then poll with `initialIntervalMs` growing by `backoffCoefficient`
 *    up to `maxIntervalMs`, heartbeating at least every heartbeatTimeout / 3 while waiting.
 * 4. Cancellation requested by the workflow stops the run and waits (at most `stopWaitMs`) for it to
 *    end, then rethrows the cancellation. Worker shutdown, activity timeouts, pause and reset leave the
 *    run alone: the next attempt attaches to it.
 * 5. No cap of its own on run time: only the activity's timeouts, set by the workflow, bound it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ApplicationFailure, type Context } from '@temporalio/activity';
import type { PollSettings, StageHeartbeat } from '../core/stage-io';
import { activityContext, cancellationFrom, detachedFromCancellation } from './aws-call';
import { type AwsService, runEndedFailure } from './aws-errors';
import { parseStageInput, pollSchema } from './stage-input';

export type RunPhase = 'running' | 'succeeded' | 'failed';

/** The default for job stages (matches core/stage-defaults.ts): ~70 status calls for a 1-hour job. */
export const DEFAULT_JOB_POLL: PollSettings = {
  initialIntervalMs: 15_000,
  maxIntervalMs: 60_000,
  backoffCoefficient: 1.5,
};

/** Consecutive transient (retryable) errors of the status call tolerated before the attempt fails. */
export const MAX_CONSECUTIVE_STATUS_ERRORS = 5;

interface FoundRun {
  runId: string;
  /** When the run started, if the service says; defaults to the time this attempt found it. */
  startedAt?: Date | string | undefined;
}

interface StartedRun extends FoundRun {
  /** True when the start call itself found an earlier run (idempotency token, concurrency re-check). */
  attached?: boolean;
}

export interface RunSpec<S> {
  service: AwsService;
  /** Job, flow, task or statement name, as shown in messages. */
  job: string;
  poll: PollSettings;
  consoleUrl(runId: string): string | undefined;
  findExisting(): Promise<FoundRun | undefined>;
  start(): Promise<StartedRun>;
  describe(runId: string): Promise<S>;
  stateOf(status: S): string;
  phaseOf(status: S): RunPhase;
  /** The AWS explanation of a failed run (error message, stop reason, state details). */
  failureMessage(status: S): string;
  stop(runId: string): Promise<void>;
  /** After a stop: true once the run can no longer change (default: its phase is not running). */
  isSettled?(status: S): boolean;
  /** How long to wait for the run to end after stopping it on cancellation. */
  stopWaitMs: number;
  /** Default true. False for a second run inside one activity (e.g. the crawler after a Glue job). */
  resumeFromHeartbeat?: boolean;
  /** What to heartbeat; defaults to the StageHeartbeat itself. */
  heartbeatDetails?(progress: StageHeartbeat): unknown;
}

export interface RunOutcome<S> {
  runId: string;
  state: string;
  status: S;
  attached: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Status (describe) calls made for this run, by every attempt so far. */
  statusCalls: number;
  consoleUrl?: string;
}

export function nextPollDelayMs(poll: PollSettings, waitsSoFar: number): number {
  return Math.min(poll.maxIntervalMs, poll.initialIntervalMs * poll.backoffCoefficient ** waitsSoFar);
}

/** Status calls a run of `durationMs` costs with these settings (one at once, one after each wait). */
export function statusCallsFor(durationMs: number, poll: PollSettings): number {
  let elapsed = 0;
  let calls = 1;
  while (elapsed < durationMs) {
    elapsed += nextPollDelayMs(poll, calls - 1);
    calls += 1;
  }
  return calls;
}

function isStageHeartbeat(value: unknown): value is StageHeartbeat {
  const candidate = value as Partial<StageHeartbeat> | null | undefined;
  return (
    typeof candidate?.awsRunId === 'string' &&
    candidate.awsRunId.length > 0 &&
    typeof candidate.startedAt === 'string' &&
    typeof candidate.polls === 'number'
  );
}

function iso(value: Date | string | undefined): string {
  if (value === undefined) return new Date().toISOString();
  return typeof value === 'string' ? value : value.toISOString();
}

/** Cancellation the workflow asked for, as opposed to worker shutdown, timeouts, pause or reset. */
function isCancelRequestedByWorkflow(context: Context): boolean {
  const details = context.cancellationDetails;
  if (details) return details.cancelRequested;
  return cancellationFrom(context.cancellationSignal).message === 'CANCELLED';
}

class RunPoller<S> {
  private progress: StageHeartbeat | undefined;

  constructor(
    private readonly spec: RunSpec<S>,
    private readonly context: Context,
  ) {}

  async run(): Promise<RunOutcome<S>> {
    let attached = false;
    let foundByRunKey = false;
    try {
      const resumed = this.spec.resumeFromHeartbeat === false ? undefined : this.resumedProgress();
      if (resumed) {
        this.progress = resumed;
        attached = true;
        this.context.log.info(
          `${this.spec.service} ${this.spec.job}: resuming run ${resumed.awsRunId} from heartbeat`,
        );
      } else {
        const existing = await this.spec.findExisting();
        foundByRunKey = existing !== undefined;
        const run: StartedRun = existing ? { ...existing, attached: true } : await this.spec.start();
        attached = run.attached === true;
        this.progress = {
          awsRunId: run.runId,
          awsState: attached ? 'ATTACHED' : 'STARTED',
          startedAt: iso(run.startedAt),
          polls: 0,
        };
        this.context.log.info(
          `${this.spec.service} ${this.spec.job}: ${attached ? 'attached to' : 'started'} run ${run.runId}`,
        );
      }
      this.heartbeat();
      const status = await this.pollUntilSettled();
      return this.finish(status, attached, foundByRunKey);
    } catch (error) {
      if (!this.context.cancellationSignal.aborted) throw error;
      const cancellation = cancellationFrom(this.context.cancellationSignal);
      if (isCancelRequestedByWorkflow(this.context)) {
        await detachedFromCancellation(() => this.stopAndSettle());
      } else {
        this.context.log.info(
          `${this.spec.service} ${this.spec.job}: activity interrupted (${cancellation.message}); ` +
            `run ${this.progress?.awsRunId ?? '(not started)'} keeps going for the next attempt to attach`,
        );
      }
      throw cancellation;
    }
  }

  private resumedProgress(): StageHeartbeat | undefined {
    const details: unknown = this.context.info.heartbeatDetails;
    return isStageHeartbeat(details) ? { ...details } : undefined;
  }

  private heartbeat(): void {
    if (!this.progress) return;
    // A copy: the worker serialises heartbeats later (throttled), while polling keeps updating progress.
    const snapshot = { ...this.progress };
    this.context.heartbeat(this.spec.heartbeatDetails ? this.spec.heartbeatDetails(snapshot) : snapshot);
  }

  private async pollUntilSettled(): Promise<S> {
    const progress = this.progress!;
    let consecutiveErrors = 0;
    for (;;) {
      progress.polls += 1;
      let status: S | undefined;
      try {
        status = await this.spec.describe(progress.awsRunId);
        consecutiveErrors = 0;
      } catch (error) {
        const transient = error instanceof ApplicationFailure && !error.nonRetryable;
        if (!transient || this.context.cancellationSignal.aborted) throw error;
        consecutiveErrors += 1;
        if (consecutiveErrors >= MAX_CONSECUTIVE_STATUS_ERRORS) throw error;
        this.context.log.warn(`${this.spec.service} ${this.spec.job}: status call failed, polling on`, {
          error: error.message,
          consecutiveErrors,
        });
      }
      if (status !== undefined) {
        progress.awsState = this.spec.stateOf(status);
        this.heartbeat();
        if (this.spec.phaseOf(status) !== 'running') return status;
      }
      await this.sleepHeartbeating(nextPollDelayMs(this.spec.poll, progress.polls - 1));
    }
  }

  /** Sleeps in chunks so a poll interval longer than the heartbeat timeout never starves it. */
  private async sleepHeartbeating(ms: number): Promise<void> {
    const timeout = this.context.info.heartbeatTimeoutMs;
    const chunk = timeout ? Math.max(1, Math.floor(timeout / 3)) : ms;
    let remaining = ms;
    while (remaining > 0) {
      const step = Math.min(chunk, remaining);
      await this.context.sleep(step);
      remaining -= step;
      this.heartbeat();
    }
  }

  private finish(status: S, attached: boolean, foundByRunKey: boolean): RunOutcome<S> {
    const progress = this.progress!;
    const state = this.spec.stateOf(status);
    const consoleUrl = this.spec.consoleUrl(progress.awsRunId);
    if (this.spec.phaseOf(status) === 'failed') {
      throw runEndedFailure(
        {
          service: this.spec.service,
          job: this.spec.job,
          runId: progress.awsRunId,
          ...(consoleUrl ? { consoleUrl } : {}),
        },
        state,
        this.spec.failureMessage(status),
        foundByRunKey,
      );
    }
    const finishedAt = new Date();
    return {
      runId: progress.awsRunId,
      state,
      status,
      attached,
      startedAt: progress.startedAt,
      finishedAt: finishedAt.toISOString(),
      durationMs: Math.max(0, finishedAt.getTime() - Date.parse(progress.startedAt)),
      statusCalls: progress.polls,
      ...(consoleUrl ? { consoleUrl } : {}),
    };
  }

  /** Runs outside the cancellation: stop the AWS run, then wait a bounded time for it to end. */
  private async stopAndSettle(): Promise<void> {
    const { service, job } = this.spec;
    const log = this.context.log;
    let runId = this.progress?.awsRunId;
    if (runId === undefined) {
      // Cancelled while starting: the start may have gone through, so look for the run by key.
      try {
        runId = (await this.spec.findExisting())?.runId;
      } catch (error) {
        log.warn(`${service} ${job}: looking for the run to stop failed`, {
          error: error instanceof Error ? error.message : String(error),
        });
      }
      if (runId === undefined) {
        log.info(`${service} ${job}: cancelled before any run started; nothing to stop`);
        return;
      }
    }
    try {
      await this.spec.stop(runId);
      log.info(`${service} ${job}: cancellation requested, stopping run ${runId}`);
    } catch (error) {
      log.warn(`${service} ${job}: stopping run ${runId} failed (it may have ended already)`, {
        error: error instanceof Error ? error.message : String(error),
      });
    }
    const deadline = Date.now() + this.spec.stopWaitMs;
    for (let waits = 0; ; waits += 1) {
      try {
        const status = await this.spec.describe(runId);
        const settled = this.spec.isSettled
          ? this.spec.isSettled(status)
          : this.spec.phaseOf(status) !== 'running';
        if (settled) {
          log.info(`${service} ${job}: run ${runId} ended ${this.spec.stateOf(status)} after cancellation`);
          return;
        }
      } catch (error) {
        log.warn(`${service} ${job}: status of run ${runId} unknown while stopping`, {
          error: error instanceof Error ? error.message : String(error),
        });
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        log.warn(
          `${service} ${job}: run ${runId} did not end within ${this.spec.stopWaitMs} ms of the stop request`,
        );
        return;
      }
      this.heartbeat();
      await delay(Math.min(nextPollDelayMs(this.spec.poll, waits), left));
    }
  }
}

/** Starts or attaches to an AWS run and waits for it; throws AwsJobFailed when it ends in failure. */
export async function runToTerminal<S>(spec: RunSpec<S>): Promise<RunOutcome<S>> {
  const context = activityContext();
  if (!context)
    throw new Error(`runToTerminal(${spec.service} ${spec.job}) must run inside a Temporal activity`);
  parseStageInput(pollSchema, spec.poll, `${spec.service} ${spec.job} poll settings`);
  return new RunPoller(spec, context).run();
}

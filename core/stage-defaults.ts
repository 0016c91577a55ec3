/**
 * Timeouts, retries and polling per stage kind, overridable per stage in the pipeline spec.
 * Chosen so a long job never hits a limit nobody chose (a Glue job may run 12 h) and a 1-hour job
 * costs ~70 status calls: 15 s growing x1.5 to 60 s.
 *
 * Crash recovery: a worker that dies mid-stage is noticed when its heartbeats stop, after
 * HEARTBEAT_TIMEOUT, and the stage's next attempt starts after the retry's initial interval; the
 * attempt then resumes polling the AWS run named in the last heartbeat. 20 s + 5 s keeps that under
 * 45 s (the crash-recovery test in test/chaos/chaos.test.ts measures it). Activities heartbeat every few seconds while
 * they wait (activities/poll-run.ts sleeps in chunks of a third of the timeout, the worker sends at
 * most every WORKER_HEARTBEAT_THROTTLE in workers/worker.ts), so 20 s is several missed beats.
 */
import type { PollSpec, RetrySpec, StageKind, TimeoutsSpec } from './pipeline-spec';

export interface StageSettings {
  timeouts: Required<TimeoutsSpec>;
  retry: Required<RetrySpec>;
  poll: Required<PollSpec>;
}

const jobPoll = { initialInterval: '15s', maxInterval: '60s', backoffCoefficient: 1.5 };
/** Also the backfill's own activities' (workflows/backfill*.ts): a killed worker costs them as little. */
export const HEARTBEAT_TIMEOUT = '20s';
/** How often activities that wait heartbeat: several beats inside HEARTBEAT_TIMEOUT. */
export const WAIT_HEARTBEAT_EVERY_MS = 5_000;
// Two new runs after a failed job, as Airflow DAGs for this stack commonly set `retries=2`.
// A short first wait (crash recovery, above) with more attempts keeps the retry budget of throttling
// and transient states about what it was with 30 s x 5 attempts: 5+10+20+40+80+160+320 s ~ 10.5 min.
const jobRetry = {
  jobRetries: 2,
  maximumAttempts: 8,
  initialInterval: '5s',
  backoffCoefficient: 2,
  maximumInterval: '10m',
};

export const stageDefaults: Record<StageKind, StageSettings> = {
  dms: {
    timeouts: { startToClose: '6h', heartbeat: HEARTBEAT_TIMEOUT },
    retry: jobRetry,
    poll: { initialInterval: '20s', maxInterval: '2m', backoffCoefficient: 1.5 },
  },
  appflow: { timeouts: { startToClose: '2h', heartbeat: HEARTBEAT_TIMEOUT }, retry: jobRetry, poll: jobPoll },
  glue: { timeouts: { startToClose: '12h', heartbeat: HEARTBEAT_TIMEOUT }, retry: jobRetry, poll: jobPoll },
  'emr-serverless': {
    timeouts: { startToClose: '12h', heartbeat: HEARTBEAT_TIMEOUT },
    retry: jobRetry,
    poll: jobPoll,
  },
  scd2: {
    timeouts: { startToClose: '2h', heartbeat: HEARTBEAT_TIMEOUT },
    retry: jobRetry,
    poll: { initialInterval: '2s', maxInterval: '30s', backoffCoefficient: 1.5 },
  },
  load: {
    timeouts: { startToClose: '2h', heartbeat: HEARTBEAT_TIMEOUT },
    retry: jobRetry,
    poll: { initialInterval: '2s', maxInterval: '30s', backoffCoefficient: 1.5 },
  },
};

export function settingsFor(
  stage: {
    kind: StageKind;
    timeouts?: TimeoutsSpec | undefined;
    retry?: RetrySpec | undefined;
    poll?: PollSpec | undefined;
  },
  environmentPoll?: PollSpec,
): StageSettings {
  const base = stageDefaults[stage.kind];
  return {
    timeouts: { ...base.timeouts, ...stage.timeouts },
    retry: { ...base.retry, ...stage.retry },
    poll: { ...base.poll, ...stage.poll, ...environmentPoll },
  };
}

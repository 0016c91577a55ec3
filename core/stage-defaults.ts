/**
 * Timeouts, retries and polling per stage kind, overridable per stage in the pipeline spec.
 * Chosen so a long job never hits a limit nobody chose (a Glue job may run 12 h) and a 1-hour job
 * costs ~70 status calls: 15 s growing x1.5 to 60 s.
 */
import type { PollSpec, RetrySpec, StageKind, TimeoutsSpec } from './pipeline-spec';

export interface StageSettings {
  timeouts: Required<TimeoutsSpec>;
  retry: Required<RetrySpec>;
  poll: Required<PollSpec>;
}

const jobPoll = { initialInterval: '15s', maxInterval: '60s', backoffCoefficient: 1.5 };
// Two new runs after a failed job, as Airflow DAGs for this stack commonly set `retries=2`.
const jobRetry = {
  jobRetries: 2,
  maximumAttempts: 5,
  initialInterval: '30s',
  backoffCoefficient: 2,
  maximumInterval: '10m',
};

export const stageDefaults: Record<StageKind, StageSettings> = {
  dms: {
    timeouts: { startToClose: '6h', heartbeat: '2m' },
    retry: jobRetry,
    poll: { initialInterval: '20s', maxInterval: '2m', backoffCoefficient: 1.5 },
  },
  appflow: { timeouts: { startToClose: '2h', heartbeat: '2m' }, retry: jobRetry, poll: jobPoll },
  glue: { timeouts: { startToClose: '12h', heartbeat: '2m' }, retry: jobRetry, poll: jobPoll },
  'emr-serverless': { timeouts: { startToClose: '12h', heartbeat: '2m' }, retry: jobRetry, poll: jobPoll },
  scd2: {
    timeouts: { startToClose: '2h', heartbeat: '2m' },
    retry: jobRetry,
    poll: { initialInterval: '2s', maxInterval: '30s', backoffCoefficient: 1.5 },
  },
  load: {
    timeouts: { startToClose: '2h', heartbeat: '2m' },
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

/**
 * Runs a pipeline over a range of dates: one child `dailyPipeline` per date, with the date's canonical
 * id `<pipeline>/<date>`, skipping dates that need nothing. Two things must go in date order across
 * dates, so they go through lanes, oldest date first: the CDC windows (DMS stages, the ingest lane),
 * because each window starts where the previous date's stopped: a date's run starts at its turn,
 * says when its windows are over and waits for a data slot; and the SCD2 merges (rule 9, the
 * dimension lane), after the date's data phase: its run hands its merges to the backfill and waits,
 * and the backfill merges ready dates in date order (consecutive dates in one transaction per
 * dimension, up to `maxDatesPerMerge`). The cap (data slots) counts dates in their data phase (and a
 * merge batch), never a run in its windows or waiting for the dimension lane, so neither the cap
 * nor `order: newest` can deadlock. Signals pause, resume and cancel; the `progress` query shows counts and an ETA.
 */
import { workflowNowMs } from './workflow-clock';
import { ActivityFailure, ApplicationFailure, proxyActivities, setHandler } from '@temporalio/workflow';
import type { BackfillActivities, BackfillInput } from '../core/backfill-contracts';
import type {
  BackfillProgress,
  BackfillSettings,
  BackfillState,
  BackfillStatus,
} from '../core/backfill-report';
import { countDates } from '../core/backfill-report';
import { BackfillTracker, initialBackfillState } from '../core/backfill-tracker';
import { FailureType, NON_RETRYABLE_FAILURES } from '../core/errors';
import { HEARTBEAT_TIMEOUT } from '../core/stage-defaults';
import { validateBackfillInput } from './backfill-input';
import { BackfillRun } from './backfill-run';
import { backfillProgressQuery } from './backfill-signals';

export {
  backfillProgressQuery,
  cancelBackfillSignal,
  pauseBackfillSignal,
  resumeBackfillSignal,
} from './backfill-signals';

const { describeBackfill } = proxyActivities<BackfillActivities>({
  startToCloseTimeout: '15 minutes',
  // The stages' timeout: after a worker is killed the backfill resumes within seconds (it heartbeats every 5 s).
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: {
    maximumAttempts: 10,
    initialInterval: '2s',
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES],
  },
  summary: 'check the request and read which dates ran and which stages are done',
});

export async function backfill(input: BackfillInput, carried?: BackfillState): Promise<BackfillProgress> {
  const settings = validateBackfillInput(input);
  // What the progress query shows: a placeholder until the dates are read.
  const view: { tracker?: BackfillTracker; status: BackfillStatus } = { status: 'planning' };
  setHandler(backfillProgressQuery, () =>
    view.tracker ? view.tracker.progress(view.status, workflowNowMs()) : planningProgress(settings),
  );

  const describeRange = (from: string, to: string) =>
    describeBackfill({ pipeline: settings.pipeline, from, to, nowUtc: new Date().toISOString() }).catch(
      (error: unknown) => {
        // An unknown pipeline or a date not ended yet fails the backfill itself with the activity's InvalidInput.
        if (error instanceof ActivityFailure && isInvalidInput(error.cause)) throw error.cause;
        throw error;
      },
    );
  const state =
    carried ??
    initialBackfillState(await describeRange(settings.from, settings.to), settings, new Date().toISOString());
  const tracker = new BackfillTracker(state, settings);
  view.tracker = tracker;
  view.status = settings.dryRun ? 'dry-run' : 'running';
  if (settings.dryRun) return tracker.progress('dry-run', workflowNowMs());
  return new BackfillRun(tracker, settings, input, (date) =>
    describeRange(date, date).then((d) => d.dates[0]?.done ?? []),
  ).execute((s) => (view.status = s));
}

function isInvalidInput(error: unknown): error is ApplicationFailure {
  return error instanceof ApplicationFailure && error.type === FailureType.InvalidInput;
}

function planningProgress(settings: BackfillSettings): BackfillProgress {
  return {
    settings,
    status: 'planning',
    counts: countDates([]),
    lanes: { broken: {} },
    continuedAsNew: 0,
    startedAt: new Date().toISOString(),
    dates: [],
  };
}

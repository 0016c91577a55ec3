/**
 * The backfill's activities: check the request and read each date's run-state markers (which dates
 * ran, which stages are done), and wait for a daily run someone else started.
 */
import { Context } from '@temporalio/activity';
import type { DimensionMergeActivities } from '../core/activity-contracts';
import type {
  BackfillActivities,
  BackfillDescription,
  DailyRunOutcome,
  DateRunState,
  DescribeBackfillRequest,
  WaitForDailyRunRequest,
} from '../core/backfill-contracts';
import { dateRange } from '../core/dates';
import { requireDayEnded, requirePipeline } from '../core/invalid-input';
import type { PipelineSpec } from '../core/pipeline-spec';
import { WAIT_HEARTBEAT_EVERY_MS } from '../core/stage-defaults';
import type { RunStateStore } from './run-state';

export interface BackfillActivityDeps {
  pipelines: Record<string, PipelineSpec>;
  runState: Pick<RunStateStore, 'generations' | 'doneStages'>;
  /** Dates read at once from the lake bucket. */
  readConcurrency?: number;
  /** How often a waited-for daily run is described. */
  attachPollMs?: number;
  /** How often both activities heartbeat while they wait (their heartbeat timeout is 20 s). */
  heartbeatEveryMs?: number;
}

/** All of BackfillActivities but planDimensionMerge, which plans SQL (activities/plan-dimension-merge.ts). */
export function createBackfillActivities(
  deps: BackfillActivityDeps,
): Omit<BackfillActivities, keyof DimensionMergeActivities> {
  const readConcurrency = deps.readConcurrency ?? 8;
  const attachPollMs = deps.attachPollMs ?? 30_000;
  const heartbeatEveryMs = deps.heartbeatEveryMs ?? WAIT_HEARTBEAT_EVERY_MS;

  const readDate = async (pipeline: string, date: string): Promise<DateRunState> => {
    const [generations, done] = await Promise.all([
      deps.runState.generations(pipeline, date),
      deps.runState.doneStages(pipeline, date),
    ]);
    return { date, ran: generations.length > 0, done: Object.keys(done).sort() };
  };

  return {
    async describeBackfill(request: DescribeBackfillRequest): Promise<BackfillDescription> {
      // Everything that can be wrong with the request is found before the first S3 call.
      const spec = requirePipeline(deps.pipelines, request.pipeline);
      for (const field of ['from', 'to'] as const) {
        requireDayEnded(field, request[field], spec.timeZone, request.nowUtc);
      }
      const dates = dateRange(request.from, request.to);
      const states: DateRunState[] = [];
      const context = Context.current();
      const beat = () => context.heartbeat({ read: states.length, of: dates.length });
      // A slow batch of S3 reads must not look like a lost worker: beat on a timer, not only per batch.
      const timer = setInterval(beat, heartbeatEveryMs);
      try {
        beat();
        for (let i = 0; i < dates.length; i += readConcurrency) {
          const batch = dates.slice(i, i + readConcurrency);
          states.push(...(await Promise.all(batch.map((date) => readDate(spec.name, date)))));
          beat();
        }
      } finally {
        clearInterval(timer);
      }
      return {
        pipeline: spec.name,
        timeZone: spec.timeZone,
        stages: spec.stages.map((s) => ({ id: s.id, kind: s.kind, dependsOn: [...s.dependsOn] })),
        dates: states,
      };
    },

    async waitForDailyRun(request: WaitForDailyRunRequest): Promise<DailyRunOutcome> {
      const context = Context.current();
      const handle = context.client.workflow.getHandle(request.workflowId);
      for (;;) {
        const description = await handle.describe();
        if (description.status.name !== 'RUNNING') {
          return {
            workflowId: request.workflowId,
            runId: description.runId,
            status: description.status.name,
          };
        }
        const details = { runId: description.runId, status: description.status.name };
        // Sleeps in heartbeat-sized steps: the poll interval is longer than the heartbeat timeout.
        // Throws CancelledFailure when the backfill stops waiting; the run itself is left alone.
        for (let waited = 0; waited < attachPollMs; waited += heartbeatEveryMs) {
          context.heartbeat(details);
          await context.sleep(Math.min(heartbeatEveryMs, attachPollMs - waited));
        }
      }
    },
  };
}

/**
 * Where the orchestration floor's time goes, read from the histories of a backfill's workflow runs:
 * how many events of each type a date costs (workflow tasks, activities, child runs, search-attribute
 * upserts, markers, timers) and how long workflow and activity tasks waited for a worker and ran.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface HistoryBreakdown {
  runs: number;
  /** Events of each type over every run, keyed by the type's short name. */
  events: Map<string, number>;
  /** Total milliseconds, over every run, of each step of a task's life. */
  ms: {
    workflowTaskWait: number;
    workflowTaskRun: number;
    activityWait: number;
    activityRun: number;
  };
  workflowTasks: number;
  activities: number;
}

function timeMs(event: HistoryEvent): number {
  const t = event.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
}

function shortName(type: temporal.api.enums.v1.EventType | null | undefined): string {
  return (EventType[type ?? 0] ?? String(type)).replace(/^EVENT_TYPE_/, '');
}

/** Adds one run's history to `into`. */
function addHistory(into: HistoryBreakdown, events: HistoryEvent[]): void {
  into.runs++;
  const timeOf = new Map<number, number>();
  for (const event of events) {
    const id = Number(event.eventId);
    const at = timeMs(event);
    timeOf.set(id, at);
    const name = shortName(event.eventType);
    into.events.set(name, (into.events.get(name) ?? 0) + 1);
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED: {
        const scheduled = Number(event.workflowTaskStartedEventAttributes?.scheduledEventId);
        into.ms.workflowTaskWait += at - (timeOf.get(scheduled) ?? at);
        into.workflowTasks++;
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: {
        const started = Number(event.workflowTaskCompletedEventAttributes?.startedEventId);
        into.ms.workflowTaskRun += at - (timeOf.get(started) ?? at);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const scheduled = Number(event.activityTaskStartedEventAttributes?.scheduledEventId);
        into.ms.activityWait += at - (timeOf.get(scheduled) ?? at);
        into.activities++;
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const started = Number(event.activityTaskCompletedEventAttributes?.startedEventId);
        into.ms.activityRun += at - (timeOf.get(started) ?? at);
        break;
      }
      default:
    }
  }
}

/** The breakdown over every run of the workflow types named (all runs of a continue-as-new chain included). */
export async function historyBreakdown(client: Client, workflowTypes: string[]): Promise<HistoryBreakdown> {
  const breakdown: HistoryBreakdown = {
    runs: 0,
    events: new Map(),
    ms: { workflowTaskWait: 0, workflowTaskRun: 0, activityWait: 0, activityRun: 0 },
    workflowTasks: 0,
    activities: 0,
  };
  const query = workflowTypes.map((t) => `WorkflowType = '${t}'`).join(' OR ');
  for await (const run of client.workflow.list({ query })) {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    addHistory(breakdown, history.events ?? []);
  }
  return breakdown;
}

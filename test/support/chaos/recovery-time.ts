/**
 * How long the activities a killed worker was running took to start again, from the server's own
 * history: a retried activity's ActivityTaskStarted event is written when it closes, carrying the
 * attempt that finished it and that attempt's start time. An activity was in flight at the kill when it
 * was scheduled before it and its finishing attempt (2 or later) started after it.
 */
import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';

export interface ActivityAttempts {
  workflowId: string;
  activityId: string;
  /** The activity's summary (what Pending Activities shows), else its type. */
  label: string;
  scheduledMs: number;
  /** Start time and number of the attempt that closed the activity; undefined while it runs. */
  startedMs?: number;
  attempt?: number;
}

export interface Recovery {
  killedAtMs: number;
  /** From the kill to the last in-flight activity's next attempt; undefined when none was in flight. */
  recoveryMs?: number;
  resumed: { label: string; afterMs: number; attempt: number }[];
}

/** The activities of every run of a workflow type in the namespace, from their histories. */
export async function activityAttempts(client: Client, workflowType: string): Promise<ActivityAttempts[]> {
  const all: ActivityAttempts[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowType = '${workflowType}'` })) {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    const scheduled = new Map<string, ActivityAttempts>();
    for (const event of history.events ?? []) {
      const eventMs = optionalTsToMs(event.eventTime) ?? 0;
      const onSchedule = event.activityTaskScheduledEventAttributes;
      if (onSchedule) {
        scheduled.set(String(event.eventId), {
          workflowId: run.workflowId,
          activityId: onSchedule.activityId ?? '',
          label: readSummary(event.userMetadata?.summary?.data) ?? onSchedule.activityType?.name ?? '?',
          scheduledMs: eventMs,
        });
      }
      const onStart = event.activityTaskStartedEventAttributes;
      if (onStart) {
        const activity = scheduled.get(String(onStart.scheduledEventId));
        if (activity) Object.assign(activity, { startedMs: eventMs, attempt: onStart.attempt ?? 1 });
      }
    }
    all.push(...scheduled.values());
  }
  return all;
}

export function recoveryAfterKill(killedAtMs: number, activities: ActivityAttempts[]): Recovery {
  const resumed = activities
    .filter(
      (a) =>
        a.scheduledMs < killedAtMs &&
        a.startedMs !== undefined &&
        a.startedMs > killedAtMs &&
        (a.attempt ?? 1) >= 2,
    )
    .map((a) => ({
      label: `${a.workflowId} ${a.label}`,
      afterMs: a.startedMs! - killedAtMs,
      attempt: a.attempt!,
    }))
    .sort((a, b) => b.afterMs - a.afterMs);
  return {
    killedAtMs,
    ...(resumed.length > 0 ? { recoveryMs: resumed[0]!.afterMs } : {}),
    resumed,
  };
}

function readSummary(data: Uint8Array | null | undefined): string | undefined {
  if (!data) return undefined;
  try {
    const text: unknown = JSON.parse(Buffer.from(data).toString('utf8'));
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Day-to-day handling of medallion's schedules: list, pause, unpause, trigger. Each refuses a
 * schedule medallion does not own (the same rule as the reconcile).
 */
import {
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  ScheduleNotFoundError,
} from '@temporalio/client';
import { logicalDateForScheduledTime } from '../core/dates';
import { formatSlot, slotFromDescription } from './daily-slot';
import { refuseDatesThatRan } from './dates-already-run';
import { ownedPipeline, resolveScheduleId } from './schedule-ids';

export interface OwnedSchedule {
  scheduleId: string;
  pipeline: string;
  handle: ScheduleHandle;
  description: ScheduleDescription;
}

/** Describes `shop` or `medallion:shop`; throws a clear error if it is missing or not medallion's. */
export async function describeOwned(client: Client, idOrPipeline: string): Promise<OwnedSchedule> {
  const scheduleId = resolveScheduleId(idOrPipeline);
  const handle = client.schedule.getHandle(scheduleId);
  let description: ScheduleDescription;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError)
      throw new Error(
        `no schedule ${scheduleId}: \`medallion schedules apply\` creates the schedules declared in schedules/`,
      );
    throw error;
  }
  const pipeline = ownedPipeline(scheduleId, description.memo);
  if (pipeline === undefined)
    throw new Error(`schedule ${scheduleId} was not created by medallion; medallion leaves it alone`);
  return { scheduleId, pipeline, handle, description };
}

export interface ScheduleRow {
  scheduleId: string;
  pipeline: string;
  spec: string;
  timeZone: string;
  paused: boolean;
  note: string;
  overlap: string;
  /** Upcoming slot times with the logical date each will process. */
  next: { at: Date; logicalDate: string }[];
  recent: { scheduledAt: Date; workflowId: string }[];
  running: string[];
  skippedOverlap: number;
  missedCatchupWindow: number;
}

function rowOf(owned: OwnedSchedule): ScheduleRow {
  const { description: d } = owned;
  const slot = slotFromDescription(d.spec);
  const timeZone = d.spec.timezone || 'UTC';
  return {
    scheduleId: owned.scheduleId,
    pipeline: owned.pipeline,
    spec: 'slot' in slot ? formatSlot(slot.slot) : `not one daily slot (${slot.problem})`,
    timeZone,
    paused: d.state.paused,
    note: d.state.note ?? '',
    overlap: d.policies.overlap ?? 'SKIP',
    next: d.info.nextActionTimes
      .slice(0, 3)
      .map((at) => ({ at, logicalDate: logicalDateForScheduledTime(at, timeZone) })),
    recent: d.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt,
      workflowId: a.action.workflow.workflowId,
    })),
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
    skippedOverlap: d.info.numActionsSkippedOverlap,
    missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
  };
}

/** Every schedule medallion owns, described (foreign schedules are not shown). */
export async function listOwnedSchedules(client: Client): Promise<ScheduleRow[]> {
  const rows: ScheduleRow[] = [];
  for await (const summary of client.schedule.list()) {
    if (ownedPipeline(summary.scheduleId, summary.memo) === undefined) continue;
    try {
      rows.push(rowOf(await describeOwned(client, summary.scheduleId)));
    } catch (error) {
      // Deleted between the (eventually consistent) list and the describe.
      if (!(error instanceof Error && error.message.startsWith('no schedule'))) throw error;
    }
  }
  return rows.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

export async function pauseSchedule(client: Client, idOrPipeline: string, note: string): Promise<string> {
  const owned = await describeOwned(client, idOrPipeline);
  await owned.handle.pause(note);
  return owned.scheduleId;
}

export async function unpauseSchedule(client: Client, idOrPipeline: string, note: string): Promise<string> {
  const owned = await describeOwned(client, idOrPipeline);
  await owned.handle.unpause(note);
  return owned.scheduleId;
}

/**
 * Starts the schedule's action now. The run's nominal time is now, so it processes yesterday (in the
 * pipeline's zone); refused if yesterday already ran or a run of the schedule is in progress. Uses the schedule's own overlap policy (the SDK
 * default for trigger is ALLOW_ALL, which could run two days of one pipeline at once).
 */
export async function triggerSchedule(
  client: Client,
  idOrPipeline: string,
  now: Date = new Date(),
): Promise<{ scheduleId: string; logicalDate: string }> {
  const owned = await describeOwned(client, idOrPipeline);
  const running = owned.description.info.runningActions.map((a) => a.workflow.workflowId);
  if (running.length > 0)
    throw new Error(
      `${owned.scheduleId} has a run in progress (${running.join(', ')}); a trigger now would wait behind it or be dropped by the overlap policy. Trigger again when it has finished`,
    );
  const logicalDate = logicalDateForScheduledTime(now, owned.description.spec.timezone || 'UTC');
  await refuseDatesThatRan(client, owned.pipeline, logicalDate, logicalDate);
  await owned.handle.trigger(owned.description.policies.overlap);
  return { scheduleId: owned.scheduleId, logicalDate };
}

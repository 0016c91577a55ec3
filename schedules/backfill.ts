/**
 * `medallion schedules backfill <id> --from D1 --to D2`: the schedule's own backfill over the slots
 * whose logical dates are D1..D2. The slot of logical date L is on local day L+1, so the window is the
 * local days D1+1..D2+1 in the schedule's zone; every run carries its slot as
 * TemporalScheduledStartTime and derives L from it, exactly like a regular run.
 *
 * Overlap BUFFER_ALL: the days start one after another in date order and never run side by side
 * (SCD2 merges must apply dates in order, architecture rule 9). ALLOW_ALL would run them all at
 * once; the schedule's own BUFFER_ONE would drop every day but the first two.
 *
 * Measured on the dev server (server 1.29.1): when a backfilled day fails, pause-on-failure pauses
 * the schedule, yet the days already buffered still start (a backfill ignores the pause). So the
 * queued mode can merge D+1 after a failed D. The one-at-a-time mode (the CLI default) submits one
 * date per backfill call, waits for its run, and stops at the first that does not succeed.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { addDays, dateRange, isIsoDate, startOfDayUtc } from '../core/dates';
import { type DailySlot, slotFromDescription, slotMatchesDay } from './daily-slot';
import { refuseDatesThatRan } from './dates-already-run';
import { localTimeOccurrences } from './dst';
import { describeOwned } from './operations';

export const BACKFILL_OVERLAP = 'BUFFER_ALL' as const;

interface BackfillSlot {
  logicalDate: string;
  /** The nominal slot time: what TemporalScheduledStartTime will say. */
  at: Date;
}

export interface BackfillWindow {
  start: Date;
  end: Date;
  slots: BackfillSlot[];
}

/** The window covering exactly the slots of logical dates `from`..`to`, and those slots. */
export function backfillWindow(slot: DailySlot, timeZone: string, from: string, to: string): BackfillWindow {
  for (const [flag, value] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    if (!isIsoDate(value)) throw new Error(`${flag} ${value} is not a date; use YYYY-MM-DD`);
  }
  if (from > to) throw new Error(`--from ${from} is after --to ${to}`);
  const slots: BackfillSlot[] = [];
  for (const logicalDate of dateRange(from, to)) {
    const day = addDays(logicalDate, 1);
    if (!slotMatchesDay(slot, day)) continue;
    const instants = localTimeOccurrences(day, slot, timeZone);
    if (instants.length !== 1)
      throw new Error(
        `the slot on ${day} occurs ${instants.length} times in ${timeZone} (a clock change); fix the schedule's time and apply`,
      );
    slots.push({ logicalDate, at: instants[0]! });
  }
  return {
    start: startOfDayUtc(addDays(from, 1), timeZone),
    end: new Date(startOfDayUtc(addDays(to, 2), timeZone).getTime() - 1000),
    slots,
  };
}

export interface BackfillOptions {
  /** Clock for the "slot still ahead" check; tests pin it. */
  now?: Date;
  /**
   * Submit one date, wait for its run, and only then the next; stop at the first run that does not
   * succeed. Without it every slot is queued in one backfill call and this returns at once.
   */
  oneAtATime?: boolean;
  /** Progress lines in one-at-a-time mode. */
  say?: (line: string) => void;
}

export interface BackfillResult {
  scheduleId: string;
  paused: boolean;
  slots: BackfillSlot[];
  /** One-at-a-time mode: the run that did not succeed, and the dates never submitted after it. */
  stopped?: { logicalDate: string; workflowId: string; status: string; notStarted: string[] };
}

/** The id the scheduler gives the run of a slot: `<prefix>-<RFC 3339 slot, whole seconds>`. */
function scheduledWorkflowId(prefix: string, slotAt: Date): string {
  return `${prefix}-${slotAt.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

async function outcomeOf(client: Client, workflowId: string): Promise<string> {
  const handle = client.workflow.getHandle(workflowId);
  // A buffered start waits for the run before it (any length): wait for it to exist, then to close.
  for (;;) {
    try {
      await handle.describe();
      break;
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    await handle.result();
    return 'COMPLETED';
  } catch {
    return (await handle.describe()).status.name;
  }
}

export async function backfillSchedule(
  client: Client,
  idOrPipeline: string,
  range: { from: string; to: string },
  options: BackfillOptions = {},
): Promise<BackfillResult> {
  const owned = await describeOwned(client, idOrPipeline);
  const described = slotFromDescription(owned.description.spec);
  if (!('slot' in described))
    throw new Error(
      `${owned.scheduleId} is not one daily slot (${described.problem}); run \`medallion schedules apply\` first`,
    );
  const timeZone = owned.description.spec.timezone || 'UTC';
  const window = backfillWindow(described.slot, timeZone, range.from, range.to);
  if (window.slots.length === 0)
    throw new Error(`${owned.scheduleId} has no slot for logical dates ${range.from}..${range.to}`);
  const last = window.slots[window.slots.length - 1]!;
  if (last.at.getTime() > (options.now ?? new Date()).getTime())
    throw new Error(
      `the slot of ${last.logicalDate} is ${last.at.toISOString()}, still ahead: the schedule runs it itself; end the backfill earlier`,
    );
  await refuseDatesThatRan(client, owned.pipeline, range.from, range.to);
  const result: BackfillResult = {
    scheduleId: owned.scheduleId,
    paused: owned.description.state.paused,
    slots: window.slots,
  };
  if (!options.oneAtATime) {
    await owned.handle.backfill({ start: window.start, end: window.end, overlap: BACKFILL_OVERLAP });
    return result;
  }
  const prefix = owned.description.action.workflowId ?? `${owned.scheduleId}-workflow`;
  options.say?.(
    `${owned.scheduleId}: ${window.slots.length} date(s), one at a time, stopping at the first failure:`,
  );
  for (const [index, slot] of window.slots.entries()) {
    const one = backfillWindow(described.slot, timeZone, slot.logicalDate, slot.logicalDate);
    await owned.handle.backfill({ start: one.start, end: one.end, overlap: BACKFILL_OVERLAP });
    const workflowId = scheduledWorkflowId(prefix, slot.at);
    options.say?.(`  ${slot.logicalDate}  ${workflowId} ...`);
    const status = await outcomeOf(client, workflowId);
    options.say?.(`  ${slot.logicalDate}  ${status}`);
    if (status !== 'COMPLETED') {
      result.stopped = {
        logicalDate: slot.logicalDate,
        workflowId,
        status,
        notStarted: window.slots.slice(index + 1).map((s) => s.logicalDate),
      };
      break;
    }
  }
  return result;
}

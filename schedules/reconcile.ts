/**
 * Makes the server's schedules match the code. Desired = the validated definitions; actual = every
 * schedule medallion owns (id prefix + memo marker, schedule-ids.ts), each described. Creates what
 * is missing, updates what differs (field by field), deletes owned schedules no longer declared, and
 * never touches a schedule it does not own. A dry run returns the same plan as text and applies nothing.
 *
 * Desired schedules are described by id (consistent at once); the list, which is eventually
 * consistent, is only used to find owned schedules that the code no longer declares.
 */
import { type Client, type ScheduleDescription, ScheduleNotFoundError } from '@temporalio/client';
import {
  actualFields,
  createOptions,
  desiredFields,
  SCHEDULE_FIELDS,
  type ScheduleField,
  updateOptions,
} from './desired-schedule';
import type { ScheduleDefinition } from './schedule-definition';
import { ownedPipeline } from './schedule-ids';

interface FieldChange {
  field: ScheduleField;
  from: string;
  to: string;
}

type ScheduleChange =
  | { kind: 'create'; scheduleId: string; definition: ScheduleDefinition }
  | { kind: 'update'; scheduleId: string; definition: ScheduleDefinition; fields: FieldChange[] }
  | { kind: 'delete'; scheduleId: string; pipeline: string }
  | { kind: 'unchanged'; scheduleId: string; paused: boolean; note: string };

export interface ReconcilePlan {
  taskQueue: string;
  changes: ScheduleChange[];
  /** Schedules on the server that medallion does not own: listed, never touched. */
  foreign: string[];
}

async function describeOrUndefined(
  client: Client,
  scheduleId: string,
): Promise<ScheduleDescription | undefined> {
  try {
    return await client.schedule.getHandle(scheduleId).describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return undefined;
    throw error;
  }
}

function fieldChanges(
  definition: ScheduleDefinition,
  taskQueue: string,
  actual: ScheduleDescription,
): FieldChange[] {
  const want = desiredFields(definition, taskQueue);
  const have = actualFields(actual);
  return SCHEDULE_FIELDS.filter((field) => want[field] !== have[field])
    .filter((field) => !(field === 'note' && actual.state.paused))
    .map((field) => ({ field, from: have[field], to: want[field] }));
}

/** Compares code and server; throws, before anything changes, if a declared id belongs to someone else. */
async function planReconcile(
  client: Client,
  definitions: readonly ScheduleDefinition[],
  taskQueue: string,
): Promise<ReconcilePlan> {
  const changes: ScheduleChange[] = [];
  const conflicts: string[] = [];
  for (const definition of definitions) {
    const actual = await describeOrUndefined(client, definition.scheduleId);
    if (!actual) {
      changes.push({ kind: 'create', scheduleId: definition.scheduleId, definition });
      continue;
    }
    if (ownedPipeline(definition.scheduleId, actual.memo) !== definition.pipeline) {
      conflicts.push(definition.scheduleId);
      continue;
    }
    const fields = fieldChanges(definition, taskQueue, actual);
    changes.push(
      fields.length > 0
        ? { kind: 'update', scheduleId: definition.scheduleId, definition, fields }
        : {
            kind: 'unchanged',
            scheduleId: definition.scheduleId,
            paused: actual.state.paused,
            note: actual.state.note ?? '',
          },
    );
  }
  if (conflicts.length > 0) {
    throw new Error(
      `schedule(s) ${conflicts.join(', ')} exist but were not created by medallion (no medallion memo marker); ` +
        'medallion does not take over schedules it does not own: delete or rename them, then apply again',
    );
  }
  const declared = new Set(definitions.map((d) => d.scheduleId));
  const foreign: string[] = [];
  for await (const summary of client.schedule.list()) {
    const pipeline = ownedPipeline(summary.scheduleId, summary.memo);
    if (pipeline === undefined) foreign.push(summary.scheduleId);
    else if (!declared.has(summary.scheduleId))
      changes.push({ kind: 'delete', scheduleId: summary.scheduleId, pipeline });
  }
  return { taskQueue, changes, foreign: foreign.sort() };
}

/** The plan as lines: `+ create`, `~ update field: old -> new`, `- delete`, `= unchanged`. */
function formatReconcilePlan(plan: ReconcilePlan): string[] {
  const lines: string[] = [];
  for (const change of plan.changes) {
    switch (change.kind) {
      case 'create': {
        const f = desiredFields(change.definition, plan.taskQueue);
        lines.push(
          `+ ${change.scheduleId}: ${f.spec} ${f.timeZone}, starts ${f.workflowType} ${f.input} on task queue ${f.taskQueue}` +
            ` (overlap ${f.overlap}, catchup ${f.catchupWindow}, jitter ${f.jitter}, pause on failure ${f.pauseOnFailure})`,
        );
        break;
      }
      case 'update':
        for (const { field, from, to } of change.fields)
          lines.push(`~ ${change.scheduleId} ${field}: ${from || '(empty)'} -> ${to || '(empty)'}`);
        break;
      case 'delete':
        lines.push(`- ${change.scheduleId}: pipeline ${change.pipeline} no longer declares a schedule`);
        break;
      case 'unchanged':
        lines.push(
          `= ${change.scheduleId}: unchanged${change.paused ? ` (paused: ${change.note || 'no note'}; apply keeps it paused)` : ''}`,
        );
        break;
    }
  }
  if (plan.foreign.length > 0) lines.push(`  left alone (not medallion's): ${plan.foreign.join(', ')}`);
  if (!plan.changes.some((c) => c.kind !== 'unchanged')) lines.push('  nothing to change');
  return lines;
}

async function applyReconcilePlan(client: Client, plan: ReconcilePlan): Promise<void> {
  for (const change of plan.changes) {
    switch (change.kind) {
      case 'create':
        await client.schedule.create(createOptions(change.definition, plan.taskQueue));
        break;
      case 'update':
        await client.schedule
          .getHandle(change.scheduleId)
          .update((previous) => updateOptions(change.definition, plan.taskQueue, previous));
        break;
      case 'delete':
        try {
          await client.schedule.getHandle(change.scheduleId).delete();
        } catch (error) {
          if (!(error instanceof ScheduleNotFoundError)) throw error;
        }
        break;
      case 'unchanged':
        break;
    }
  }
}

/** `medallion schedules apply [--dry-run]`: plan, print, and (unless a dry run) apply. */
export async function reconcileSchedules(
  client: Client,
  definitions: readonly ScheduleDefinition[],
  options: { taskQueue: string; dryRun: boolean },
): Promise<{ plan: ReconcilePlan; lines: string[] }> {
  const plan = await planReconcile(client, definitions, options.taskQueue);
  if (!options.dryRun) await applyReconcilePlan(client, plan);
  return { plan, lines: formatReconcilePlan(plan) };
}

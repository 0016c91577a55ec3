/**
 * A validated definition turned into what the server stores: the create and update options of the
 * Temporal schedule, and the same facts as readable fields, so code and server compare field by field.
 *
 * The action starts `dailyPipeline` with `{ pipeline }` only: the workflow derives its logical date
 * from TemporalScheduledStartTime, which the scheduler stamps on every run it starts (regular,
 * trigger, backfill) with the nominal slot time, so jitter never moves the date.
 */
import type {
  ScheduleDescription,
  ScheduleOptions,
  ScheduleOptionsStartWorkflowAction,
  ScheduleUpdateOptions,
  Workflow,
} from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { searchAttributeKeys } from '../core/search-attributes';
import type { DailyPipelineInput } from '../core/daily-contracts';
import { formatSlot, slotFromDescription, toCalendarSpec } from './daily-slot';
import type { ScheduleDefinition } from './schedule-definition';
import { ownershipMemo } from './schedule-ids';

export const SCHEDULED_WORKFLOW_TYPE = 'dailyPipeline';

export const SCHEDULE_FIELDS = [
  'spec',
  'timeZone',
  'jitter',
  'catchupWindow',
  'overlap',
  'pauseOnFailure',
  'workflowType',
  'taskQueue',
  'workflowId',
  'input',
  'searchAttributes',
  'note',
] as const;
export type ScheduleField = (typeof SCHEDULE_FIELDS)[number];
export type ScheduleFields = Record<ScheduleField, string>;

/** 90_000 -> "1m30s", 86_400_000 -> "1d", 0 -> "0s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  let rest = ms;
  let text = '';
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text;
}

function pipelineAttribute(pipeline: string): SearchAttributePair[] {
  return [{ key: searchAttributeKeys.pipeline, value: pipeline }];
}

function actionOf(
  definition: ScheduleDefinition,
  taskQueue: string,
): ScheduleOptionsStartWorkflowAction<Workflow> {
  const input: DailyPipelineInput = { pipeline: definition.pipeline };
  return {
    type: 'startWorkflow',
    workflowType: SCHEDULED_WORKFLOW_TYPE,
    taskQueue,
    workflowId: definition.workflowIdPrefix,
    args: [input],
    typedSearchAttributes: pipelineAttribute(definition.pipeline),
  };
}

function specOf(definition: ScheduleDefinition): ScheduleOptions['spec'] {
  return {
    calendars: [toCalendarSpec(definition.slot)],
    timezone: definition.timeZone,
    jitter: definition.jitterMs,
  };
}

function policiesOf(definition: ScheduleDefinition): ScheduleOptions['policies'] {
  return {
    overlap: definition.overlap,
    catchupWindow: definition.catchupWindowMs,
    pauseOnFailure: definition.pauseOnFailure,
  };
}

export function createOptions(definition: ScheduleDefinition, taskQueue: string): ScheduleOptions {
  return {
    scheduleId: definition.scheduleId,
    spec: specOf(definition),
    action: actionOf(definition, taskQueue),
    policies: policiesOf(definition),
    memo: ownershipMemo(definition.pipeline),
    typedSearchAttributes: pipelineAttribute(definition.pipeline),
    state: { note: definition.note },
  };
}

/**
 * The full replacement sent on update. A paused schedule stays paused with its note (the reason
 * someone paused it, or pause-on-failure's); apply never resumes what a person or a failure stopped.
 */
export function updateOptions(
  definition: ScheduleDefinition,
  taskQueue: string,
  previous: ScheduleDescription,
): ScheduleUpdateOptions {
  return {
    spec: specOf(definition),
    action: actionOf(definition, taskQueue),
    policies: policiesOf(definition),
    typedSearchAttributes: pipelineAttribute(definition.pipeline),
    state: {
      paused: previous.state.paused,
      note: previous.state.paused ? previous.state.note : definition.note,
      ...(previous.state.remainingActions !== undefined
        ? { remainingActions: previous.state.remainingActions }
        : {}),
    },
  };
}

const attributesText = (pairs: SearchAttributePair[]) =>
  pairs
    .map((p) => `${p.key.name}=${JSON.stringify(p.value)}`)
    .sort()
    .join(', ') || '(none)';

export function desiredFields(definition: ScheduleDefinition, taskQueue: string): ScheduleFields {
  const action = actionOf(definition, taskQueue);
  return {
    spec: formatSlot(definition.slot),
    timeZone: definition.timeZone,
    jitter: formatDuration(definition.jitterMs),
    catchupWindow: formatDuration(definition.catchupWindowMs),
    overlap: definition.overlap,
    pauseOnFailure: String(definition.pauseOnFailure),
    workflowType: SCHEDULED_WORKFLOW_TYPE,
    taskQueue,
    workflowId: definition.workflowIdPrefix,
    input: JSON.stringify(action.args?.[0]),
    searchAttributes: attributesText(pipelineAttribute(definition.pipeline)),
    note: definition.note,
  };
}

export function actualFields(description: ScheduleDescription): ScheduleFields {
  const slot = slotFromDescription(description.spec);
  const { action } = description;
  const attributes = action.typedSearchAttributes;
  const args = action.args ?? [];
  return {
    spec: 'slot' in slot ? formatSlot(slot.slot) : `not one daily slot (${slot.problem})`,
    timeZone: description.spec.timezone || 'UTC',
    jitter: formatDuration(description.spec.jitter ?? 0),
    catchupWindow: formatDuration(description.policies.catchupWindow),
    overlap: description.policies.overlap ?? 'SKIP',
    pauseOnFailure: String(description.policies.pauseOnFailure),
    workflowType: action.workflowType,
    taskQueue: action.taskQueue,
    workflowId: action.workflowId ?? '',
    input: JSON.stringify(args.length === 1 ? args[0] : args),
    searchAttributes: attributesText(
      attributes === undefined ? [] : Array.isArray(attributes) ? attributes : attributes.getAll(),
    ),
    note: description.state.note ?? '',
  };
}

/**
 * Every schedule this deployment declares. `medallion schedules apply` makes the server match this
 * list: it creates, updates and deletes medallion-owned schedules only (schedules/reconcile.ts).
 */
import type { ScheduleDefinitionInput } from './schedule-definition';
import { shopSchedule } from './shop';

export const scheduleDefinitions: readonly ScheduleDefinitionInput[] = [shopSchedule];

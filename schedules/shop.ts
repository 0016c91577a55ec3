/**
 * When the `shop` pipeline runs: every day at 03:00 in Berlin, processing the day that just ended.
 * 03:00 rather than 02:00 or 02:30: on the spring change day Berlin's clocks jump from 02:00 to 03:00,
 * so a 02:xx slot would not fire and a date would be missing (see dst.ts); 03:00 exists once every day.
 */
import type { ScheduleDefinitionInput } from './schedule-definition';

export const shopSchedule: ScheduleDefinitionInput = {
  pipeline: 'shop',
  cron: '0 3 * * *',
  timeZone: 'Europe/Berlin',
  catchupWindow: '1 day',
  overlap: 'BUFFER_ONE',
  pauseOnFailure: true,
  jitter: '2 minutes',
  note: 'shop daily: at 03:00 Europe/Berlin, processes the previous day',
};

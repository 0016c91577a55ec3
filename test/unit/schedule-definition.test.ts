import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config-errors';
import { loadPipelines } from '../../pipelines/registry';
import { backfillWindow } from '../../schedules/backfill';
import { parseCron } from '../../schedules/cron';
import { formatSlot, slotFromDescription, toCalendarSpec } from '../../schedules/daily-slot';
import { scheduleDefinitions } from '../../schedules/definitions';
import { desiredFields, formatDuration } from '../../schedules/desired-schedule';
import {
  loadScheduleDefinition,
  loadScheduleDefinitions,
  type ScheduleDefinitionInput,
} from '../../schedules/schedule-definition';
import { ownedPipeline, ownershipMemo, resolveScheduleId } from '../../schedules/schedule-ids';

const pipelines = {
  shop: { name: 'shop', timeZone: 'Europe/Berlin' },
  web: { name: 'web', timeZone: 'UTC' },
};
const options = { checkFrom: '2026-01-01' };

function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    loadScheduleDefinition(input, pipelines, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('schedule definitions', () => {
  it('loads the declared shop schedule against the real pipeline registry', () => {
    const [shop] = loadScheduleDefinitions(scheduleDefinitions, loadPipelines(), options);
    expect(shop).toMatchObject({
      scheduleId: 'medallion:shop',
      pipeline: 'shop',
      timeZone: 'Europe/Berlin',
      overlap: 'BUFFER_ONE',
      pauseOnFailure: true,
      catchupWindowMs: 86_400_000,
      workflowIdPrefix: 'shop/scheduled',
    });
    expect(formatSlot(shop!.slot)).toBe('03:00 daily');
  });

  it('defaults: the pipeline zone, BUFFER_ONE, pause on failure, a 1-day catchup window, no jitter', () => {
    const definition = loadScheduleDefinition(
      { pipeline: 'shop', calendar: { hour: 4 } },
      pipelines,
      options,
    );
    expect(definition).toMatchObject({
      timeZone: 'Europe/Berlin',
      overlap: 'BUFFER_ONE',
      pauseOnFailure: true,
      catchupWindowMs: 86_400_000,
      jitterMs: 0,
      note: '',
    });
    expect(formatSlot(definition.slot)).toBe('04:00 daily');
  });

  it.each<[string, unknown, string, RegExp]>([
    [
      'unknown pipeline',
      { pipeline: 'nope', cron: '0 3 * * *' },
      'pipeline',
      /unknown pipeline; known: shop, web/,
    ],
    ['neither cron nor calendar', { pipeline: 'shop' }, 'cron', /exactly one of cron/],
    [
      'both cron and calendar',
      { pipeline: 'shop', cron: '0 3 * * *', calendar: { hour: 3 } },
      'cron',
      /exactly one of cron/,
    ],
    ['two runs a day', { pipeline: 'shop', cron: '0 3,15 * * *' }, 'cron', /fires 2 times a day/],
    ['every 15 minutes', { pipeline: 'shop', cron: '*/15 3 * * *' }, 'cron', /fires 4 times a day/],
    ['six fields', { pipeline: 'shop', cron: '0 0 3 * * *' }, 'cron', /has 6 fields; use five/],
    [
      'minute out of range',
      { pipeline: 'shop', cron: '61 3 * * *' },
      'cron',
      /minute field: 61 is out of range 0-59/,
    ],
    ['unknown weekday', { pipeline: 'shop', cron: '0 3 * * FOO' }, 'cron', /day-of-week field: "FOO"/],
    [
      'day-of-month AND day-of-week',
      { pipeline: 'shop', cron: '0 3 1 * MON' },
      'cron',
      /Temporal requires BOTH to match/,
    ],
    [
      'time zone in the cron',
      { pipeline: 'shop', cron: 'TZ=UTC 0 3 * * *' },
      'cron',
      /set the timeZone field/,
    ],
    ['a shorthand', { pipeline: 'shop', cron: '@daily' }, 'cron', /as five fields/],
    [
      'another zone than the pipeline',
      { pipeline: 'shop', cron: '0 3 * * *', timeZone: 'UTC' },
      'timeZone',
      /logical dates are days in Europe\/Berlin/,
    ],
    ['not a zone', { pipeline: 'shop', cron: '0 3 * * *', timeZone: 'Mars/Base' }, 'timeZone', /IANA/],
    [
      'overlap that runs days side by side',
      { pipeline: 'shop', cron: '0 3 * * *', overlap: 'ALLOW_ALL' },
      'overlap',
      /BUFFER_ONE/,
    ],
    ['too much jitter', { pipeline: 'shop', cron: '0 3 * * *', jitter: '2h' }, 'jitter', /at most 1 hour/],
    [
      'a tiny catchup window',
      { pipeline: 'shop', cron: '0 3 * * *', catchupWindow: '10s' },
      'catchupWindow',
      /1 minute/,
    ],
    [
      'not a duration',
      { pipeline: 'shop', cron: '0 3 * * *', catchupWindow: 'a day' },
      'catchupWindow',
      /duration/,
    ],
    ['an hour of 24', { pipeline: 'shop', calendar: { hour: 24 } }, 'calendar.hour', /24|<=23/],
    [
      'a misspelt field',
      { pipeline: 'shop', cron: '0 3 * * *', pauseOnFailur: false },
      '(root)',
      /pauseOnFailur/,
    ],
  ])('rejects %s with the field path', (_name, input, path, message) => {
    const issues = issuesOf(input);
    expect(issues.map((i) => i.path)).toContain(path);
    expect(issues.find((i) => i.path === path)!.message).toMatch(message);
  });

  it('rejects two schedules for one pipeline', () => {
    const twice: ScheduleDefinitionInput[] = [
      { pipeline: 'web', cron: '0 3 * * *' },
      { pipeline: 'web', cron: '0 5 * * *' },
    ];
    expect(() => loadScheduleDefinitions(twice, pipelines, options)).toThrow(/declared twice/);
  });

  it('parses cron day restrictions, names and Sunday as 7', () => {
    expect(parseCron('30 6 * * MON-FRI')).toMatchObject({ hour: 6, minute: 30, daysOfWeek: [1, 2, 3, 4, 5] });
    expect(parseCron('0 3 * * 0,7').daysOfWeek).toEqual([0]);
    expect(parseCron('0 3 1,15 * *').daysOfMonth).toEqual([1, 15]);
    expect(parseCron('0 3 * jan-mar/2 *').months).toEqual([1, 3]);
    expect(formatSlot(parseCron('30 6 * * MON-FRI'))).toBe('06:30 Mon-Fri');
    expect(formatSlot(parseCron('0 7 1 JAN,APR,JUL,OCT *'))).toBe('07:00 on day 1 in Jan,Apr,Jul,Oct');
  });

  it('reads back the calendar the server describes as the same slot (ranges expanded as the server stores them)', () => {
    const slot = parseCron('30 6 * * MON-FRI');
    const sent = toCalendarSpec(slot);
    expect(sent).toMatchObject({ hour: 6, minute: 30, second: 0, dayOfMonth: '*', month: '*' });
    const described = slotFromDescription({
      calendars: [
        {
          second: [{ start: 0, end: 0, step: 1 }],
          minute: [{ start: 30, end: 30, step: 1 }],
          hour: [{ start: 6, end: 6, step: 1 }],
          dayOfMonth: [{ start: 1, end: 31, step: 1 }],
          month: [{ start: 'JANUARY', end: 'DECEMBER', step: 1 }],
          year: [],
          dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY', step: 1 }],
        },
      ],
      intervals: [],
      skip: [],
    });
    expect(described).toEqual({ slot });
    expect(slotFromDescription({ calendars: [], intervals: [{ every: 60_000, offset: 0 }] })).toEqual({
      problem: 'has interval specs',
    });
  });

  it('renders durations and the fields the reconcile compares', () => {
    expect([0, 1000, 90_000, 86_400_000, 5_400_000].map(formatDuration)).toEqual([
      '0s',
      '1s',
      '1m30s',
      '1d',
      '1h30m',
    ]);
    const definition = loadScheduleDefinition(
      { pipeline: 'shop', cron: '0 3 * * *', jitter: '2 minutes', note: 'n' },
      pipelines,
      options,
    );
    expect(desiredFields(definition, 'medallion')).toEqual({
      spec: '03:00 daily',
      timeZone: 'Europe/Berlin',
      jitter: '2m',
      catchupWindow: '1d',
      overlap: 'BUFFER_ONE',
      pauseOnFailure: 'true',
      workflowType: 'dailyPipeline',
      taskQueue: 'medallion',
      workflowId: 'shop/scheduled',
      input: '{"pipeline":"shop"}',
      searchAttributes: 'MedallionPipeline="shop"',
      note: 'n',
    });
  });

  it('owns a schedule only with both the id prefix and the memo marker', () => {
    expect(ownedPipeline('medallion:shop', ownershipMemo('shop'))).toBe('shop');
    expect(ownedPipeline('medallion:shop', {})).toBeUndefined();
    expect(ownedPipeline('medallion:shop', { medallion: { managedBy: 'someone' } })).toBeUndefined();
    expect(ownedPipeline('shop', ownershipMemo('shop'))).toBeUndefined();
    expect(resolveScheduleId('shop')).toBe('medallion:shop');
    expect(resolveScheduleId('medallion:shop')).toBe('medallion:shop');
    expect(resolveScheduleId('nightly-report')).toBe('nightly-report');
  });
});

describe('backfill windows', () => {
  const slot = parseCron('0 3 * * *');

  it('covers exactly the slots of the logical dates, across the spring change', () => {
    const window = backfillWindow(slot, 'Europe/Berlin', '2026-03-27', '2026-03-29');
    expect(window.slots.map((s) => [s.logicalDate, s.at.toISOString()])).toEqual([
      ['2026-03-27', '2026-03-28T02:00:00.000Z'],
      ['2026-03-28', '2026-03-29T01:00:00.000Z'],
      ['2026-03-29', '2026-03-30T01:00:00.000Z'],
    ]);
    // Local midnight of 03-28 (CET) to just before local midnight of 03-31 (CEST).
    expect(window.start.toISOString()).toBe('2026-03-27T23:00:00.000Z');
    expect(window.end.toISOString()).toBe('2026-03-30T21:59:59.000Z');
    for (const s of window.slots) {
      expect(s.at.getTime()).toBeGreaterThanOrEqual(window.start.getTime());
      expect(s.at.getTime()).toBeLessThanOrEqual(window.end.getTime());
    }
  });

  it('skips the days a weekday schedule does not fire', () => {
    // 2026-03-27 is a Friday: the Saturday and Sunday slots do not exist for a Mon-Fri schedule.
    const window = backfillWindow(parseCron('0 3 * * MON-FRI'), 'Europe/Berlin', '2026-03-26', '2026-03-30');
    expect(window.slots.map((s) => s.logicalDate)).toEqual(['2026-03-26', '2026-03-29', '2026-03-30']);
  });

  it('rejects bad ranges with the flag at fault', () => {
    expect(() => backfillWindow(slot, 'UTC', '2026-02-30', '2026-03-01')).toThrow(
      /--from 2026-02-30 is not a date/,
    );
    expect(() => backfillWindow(slot, 'UTC', '2026-03-01', 'tomorrow')).toThrow(
      /--to tomorrow is not a date/,
    );
    expect(() => backfillWindow(slot, 'UTC', '2026-03-05', '2026-03-01')).toThrow(/is after --to/);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config-errors';
import { addDays, dateRange, logicalDateForScheduledTime } from '../../core/dates';
import { parseCron } from '../../schedules/cron';
import { findDstProblem, localTimeOccurrences } from '../../schedules/dst';
import { loadScheduleDefinition } from '../../schedules/schedule-definition';

const pipelines = {
  shop: { name: 'shop', timeZone: 'Europe/Berlin' },
  web: { name: 'web', timeZone: 'UTC' },
  us: { name: 'us', timeZone: 'America/New_York' },
};
const at = (hour: number, minute = 0) => ({ hour, minute, second: 0 });

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('the DST rule for daily slots', () => {
  it('03:00 Europe/Berlin fires exactly once on every day of the spring-change week, one logical date each', () => {
    const days = dateRange('2026-03-25', '2026-04-01');
    const slots = days.map((day) => localTimeOccurrences(day, at(3), 'Europe/Berlin'));
    expect(slots.map((s) => s.length)).toEqual(days.map(() => 1));
    // CET (+1) before the change, CEST (+2) from the change day on.
    expect(slots.map((s) => s[0]!.toISOString())).toEqual([
      '2026-03-25T02:00:00.000Z',
      '2026-03-26T02:00:00.000Z',
      '2026-03-27T02:00:00.000Z',
      '2026-03-28T02:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T01:00:00.000Z',
      '2026-03-31T01:00:00.000Z',
      '2026-04-01T01:00:00.000Z',
    ]);
    const logicalDates = slots.map((s) => logicalDateForScheduledTime(s[0]!, 'Europe/Berlin'));
    expect(logicalDates).toEqual(days.map((d) => addDays(d, -1)));
  });

  it('03:00 Europe/Berlin also fires exactly once on every day of the autumn-change week', () => {
    const days = dateRange('2026-10-21', '2026-10-28');
    expect(days.map((day) => localTimeOccurrences(day, at(3), 'Europe/Berlin').length)).toEqual(
      days.map(() => 1),
    );
    expect(localTimeOccurrences('2026-10-25', at(3), 'Europe/Berlin')[0]!.toISOString()).toBe(
      '2026-10-25T02:00:00.000Z',
    );
  });

  it('02:00 and 02:30 do not exist on the spring change day, and 02:30 exists twice on the autumn one', () => {
    expect(localTimeOccurrences('2026-03-29', at(2), 'Europe/Berlin')).toEqual([]);
    expect(localTimeOccurrences('2026-03-29', at(2, 30), 'Europe/Berlin')).toEqual([]);
    expect(
      localTimeOccurrences('2026-10-25', at(2, 30), 'Europe/Berlin').map((d) => d.toISOString()),
    ).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z']);
    expect(localTimeOccurrences('2026-03-29', at(2, 30), 'UTC')).toHaveLength(1);
  });

  it('finds the first bad day and names the hour the clocks change', () => {
    const spring = findDstProblem(parseCron('30 2 * * *'), 'Europe/Berlin', '2026-03-01', 60);
    expect(spring).toMatchObject({ date: '2026-03-29', occurrences: 0 });
    expect(spring!.message).toContain('02:30 does not exist in Europe/Berlin on 2026-03-29');
    expect(spring!.message).toContain('02:00-03:00');
    expect(spring!.message).toContain('logical date 2026-03-28 would be missing');
    const autumn = findDstProblem(parseCron('30 2 * * *'), 'Europe/Berlin', '2026-09-01', 90);
    expect(autumn).toMatchObject({ date: '2026-10-25', occurrences: 2 });
    expect(autumn!.message).toContain('two runs would start for logical date 2026-10-24');
    expect(findDstProblem(parseCron('0 3 * * *'), 'Europe/Berlin', '2026-01-01', 2 * 366)).toBeUndefined();
  });

  it('only checks the days the slot fires: the EU changes on Sundays, so 02:30 Mon-Fri is fine', () => {
    expect(
      findDstProblem(parseCron('30 2 * * MON-FRI'), 'Europe/Berlin', '2026-01-01', 2 * 366),
    ).toBeUndefined();
    expect(findDstProblem(parseCron('30 2 * * SUN'), 'Europe/Berlin', '2026-01-01', 366)?.date).toBe(
      '2026-03-29',
    );
  });

  it('rejects a 02:xx slot in a DST zone when a schedule is loaded, with the field path', () => {
    const options = { checkFrom: '2026-01-01' };
    const cron = configError(() =>
      loadScheduleDefinition({ pipeline: 'shop', cron: '30 2 * * *' }, pipelines, options),
    );
    expect(cron.issues).toEqual([{ path: 'cron', message: expect.stringContaining('02:00-03:00') }]);
    const calendar = configError(() =>
      loadScheduleDefinition({ pipeline: 'shop', calendar: { hour: 2 } }, pipelines, options),
    );
    expect(calendar.issues[0]!.path).toBe('calendar.hour');
    expect(calendar.message).toContain('e.g. 03:00');
    const newYork = configError(() =>
      loadScheduleDefinition({ pipeline: 'us', cron: '30 2 * * *' }, pipelines, options),
    );
    expect(newYork.message).toContain('America/New_York on 2026-03-08');
    // No DST in UTC: 02:30 is a fine slot there.
    expect(
      loadScheduleDefinition({ pipeline: 'web', cron: '30 2 * * *' }, pipelines, options).slot,
    ).toMatchObject(at(2, 30));
  });
});

/**
 * The cron form of a daily schedule: five fields, `minute hour day-of-month month day-of-week`,
 * e.g. '0 3 * * *' (03:00 every day) or '30 6 * * MON-FRI'. Compiled to a DailySlot here so that a
 * mistake is reported with the field at fault before anything reaches the server.
 */
import { DAYS_OF_WEEK, MONTHS } from '@temporalio/client';
import { ALL_DAYS_OF_MONTH, ALL_DAYS_OF_WEEK, ALL_MONTHS, type DailySlot, range } from './daily-slot';

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Value of the first name (1 for months, 0 for weekdays). */
  namesFrom?: number;
}

const FIELDS: FieldRule[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS.map((m) => m.slice(0, 3)), namesFrom: 1 },
  // 7 is Sunday too, as in classic cron.
  { name: 'day-of-week', min: 0, max: 7, names: DAYS_OF_WEEK.map((d) => d.slice(0, 3)), namesFrom: 0 },
];

function value(text: string, rule: FieldRule): number {
  const upper = text.toUpperCase();
  const named = rule.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + rule.namesFrom!;
  if (!/^\d+$/.test(text)) throw new Error(`${rule.name} field: "${text}" is not a number`);
  const n = Number(text);
  if (n < rule.min || n > rule.max)
    throw new Error(`${rule.name} field: ${n} is out of range ${rule.min}-${rule.max}`);
  return n;
}

function parseField(text: string, rule: FieldRule): number[] {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const [base, stepText, extra] = item.split('/');
    if (extra !== undefined || base === undefined || base === '')
      throw new Error(`${rule.name} field: cannot read "${item}"`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1)
      throw new Error(`${rule.name} field: step "${stepText}" must be a whole number of at least 1`);
    let from: number;
    let to: number;
    if (base === '*') [from, to] = [rule.min, rule.max];
    else if (base.includes('-')) {
      const [a, b] = base.split('-') as [string, string];
      [from, to] = [value(a, rule), value(b, rule)];
      if (to < from) throw new Error(`${rule.name} field: range "${base}" runs backwards`);
    } else {
      from = value(base, rule);
      to = stepText === undefined ? from : rule.max;
    }
    for (const v of range(from, to, step)) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

/** Parses a five-field cron expression into a slot; throws an Error whose message names the field. */
export function parseCron(expression: string): DailySlot {
  const trimmed = expression.trim();
  if (/^(CRON_)?TZ=/i.test(trimmed))
    throw new Error('do not put the time zone in the cron expression; set the timeZone field instead');
  if (trimmed.startsWith('@'))
    throw new Error(`write "${trimmed}" as five fields, e.g. '0 3 * * *' for 03:00 every day`);
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5)
    throw new Error(
      `has ${fields.length} fields; use five: minute hour day-of-month month day-of-week, e.g. '0 3 * * *'`,
    );
  const [minutes, hours, daysOfMonth, months, rawDaysOfWeek] = fields.map((f, i) =>
    parseField(f, FIELDS[i]!),
  ) as [number[], number[], number[], number[], number[]];
  if (fields[2] !== '*' && fields[4] !== '*')
    throw new Error(
      'restricts both day-of-month and day-of-week: Temporal requires BOTH to match (classic cron needs either); restrict only one',
    );
  const timesPerDay = minutes.length * hours.length;
  if (timesPerDay !== 1)
    throw new Error(
      `fires ${timesPerDay} times a day; a daily pipeline runs once a day (two runs would process the same logical date), so give one minute and one hour`,
    );
  const daysOfWeek = [...new Set(rawDaysOfWeek.map((d) => d % 7))].sort((a, b) => a - b);
  return {
    second: 0,
    minute: minutes[0]!,
    hour: hours[0]!,
    daysOfMonth: daysOfMonth.length === 31 ? ALL_DAYS_OF_MONTH : daysOfMonth,
    months: months.length === 12 ? ALL_MONTHS : months,
    daysOfWeek: daysOfWeek.length === 7 ? ALL_DAYS_OF_WEEK : daysOfWeek,
  };
}

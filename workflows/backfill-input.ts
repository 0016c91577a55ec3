/**
 * The input of `backfill`, as a person types it in the Temporal UI's Start Workflow form:
 *   { "pipeline": "shop", "from": "2026-01-01", "to": "2026-01-31", "only": "missing",
 *     "maxConcurrent": 4, "order": "oldest", "dryRun": false }
 * Checked before anything runs; a bad field fails the backfill at once, non-retryably, naming the
 * field. Whether the pipeline exists and the dates have ended is checked by the first activity,
 * which knows the pipelines and their time zones (also before any AWS call).
 */
import {
  BACKFILL_LIMITS,
  BACKFILL_ONLY,
  BACKFILL_ORDER,
  type BackfillOnly,
  type BackfillOrder,
} from '../core/backfill-contracts';
import type { BackfillSettings } from '../core/backfill-report';
import { daysBetween, isIsoDate } from '../core/dates';
import { invalidInput } from '../core/invalid-input';

const EXAMPLE =
  '{"pipeline": "shop", "from": "2026-01-01", "to": "2026-01-31", "only": "missing", "maxConcurrent": 4, "order": "oldest", "dryRun": false}';

const KNOWN_FIELDS = [
  'pipeline',
  'from',
  'to',
  'only',
  'maxConcurrent',
  'order',
  'dryRun',
  'childrenPerRun',
  'maxDatesPerMerge',
];

function date(input: Record<string, unknown>, field: 'from' | 'to'): string {
  const value = input[field];
  if (typeof value !== 'string' || !isIsoDate(value)) {
    throw invalidInput(field, `${JSON.stringify(value)} is not a date; use YYYY-MM-DD, e.g. "2026-01-31"`);
  }
  return value;
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw invalidInput(
      field,
      `${JSON.stringify(value)} is not allowed; use one of ${allowed.map((a) => `"${a}"`).join(', ')}`,
    );
  }
  return value as T;
}

function integer(
  field: string,
  value: unknown,
  limits: { min: number; max: number; default: number },
  why = '',
): number {
  if (value === undefined) return limits.default;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw invalidInput(
      field,
      `${JSON.stringify(value)} is out of range; use a whole number from ${limits.min} to ${limits.max} (default ${limits.default})${why}`,
    );
  }
  return value;
}

export function validateBackfillInput(raw: unknown): BackfillSettings {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalidInput('(input)', `pass one JSON object, e.g. ${EXAMPLE}`);
  }
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!KNOWN_FIELDS.includes(key)) {
      throw invalidInput(key, `unknown field; allowed: ${KNOWN_FIELDS.join(', ')}`);
    }
  }
  if (typeof input.pipeline !== 'string' || !/^[a-z][a-z0-9_]*$/.test(input.pipeline)) {
    throw invalidInput('pipeline', 'give the pipeline name, e.g. "shop"');
  }
  const from = date(input, 'from');
  const to = date(input, 'to');
  if (from > to) throw invalidInput('from', `${from} is after "to" ${to}; swap them`);
  const days = daysBetween(from, to) + 1;
  if (days > BACKFILL_LIMITS.maxDays) {
    throw invalidInput(
      'to',
      `${from}..${to} is ${days} days; one backfill takes at most ${BACKFILL_LIMITS.maxDays}: split the range`,
    );
  }
  if (input.dryRun !== undefined && typeof input.dryRun !== 'boolean') {
    throw invalidInput('dryRun', 'use true or false');
  }
  return {
    pipeline: input.pipeline,
    from,
    to,
    only: oneOf<BackfillOnly>('only', input.only, BACKFILL_ONLY, 'missing'),
    order: oneOf<BackfillOrder>('order', input.order, BACKFILL_ORDER, 'oldest'),
    maxConcurrent: integer('maxConcurrent', input.maxConcurrent, BACKFILL_LIMITS.maxConcurrent),
    childrenPerRun: integer('childrenPerRun', input.childrenPerRun, BACKFILL_LIMITS.childrenPerRun),
    maxDatesPerMerge: integer(
      'maxDatesPerMerge',
      input.maxDatesPerMerge,
      BACKFILL_LIMITS.maxDatesPerMerge,
      ': one merge runs as one Redshift BatchExecuteStatement, which takes at most 40 statements',
    ),
    dryRun: input.dryRun ?? false,
  };
}

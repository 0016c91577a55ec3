/**
 * A pipeline's schedule as written in code (schedules/<pipeline>.ts), validated with zod and the
 * rules a daily pipeline needs: one run per local day, at a time that exists once every day (DST,
 * see dst.ts), in the pipeline's own time zone. A bad field is a ConfigError naming its path.
 */
import { DAYS_OF_WEEK, MONTHS } from '@temporalio/client';
import { z } from 'zod';
import { ConfigError, formatPath } from '../core/config-errors';
import { isValidTimeZone } from '../core/dates';
import { durationMs } from '../core/durations';
import { durationSchema } from '../core/pipeline-spec';
import { parseCron } from './cron';
import { ALL_DAYS_OF_MONTH, ALL_DAYS_OF_WEEK, ALL_MONTHS, type DailySlot } from './daily-slot';
import { findDstProblem } from './dst';
import { scheduleIdFor, workflowIdPrefixFor } from './schedule-ids';

/**
 * What happens when a slot comes while the previous run still runs. Only policies that never run two
 * days of one pipeline at once are allowed: SCD2 merges must apply dates in order (architecture
 * rule 9). ALLOW_ALL would overlap; CANCEL_OTHER / TERMINATE_OTHER would stop a day half-way.
 */
const OVERLAP_POLICIES = ['BUFFER_ONE', 'SKIP', 'BUFFER_ALL'] as const;
type DailyOverlapPolicy = (typeof OVERLAP_POLICIES)[number];

const calendarSchema = z.strictObject({
  hour: z.number().int().min(0).max(23),
  minute: z.number().int().min(0).max(59).default(0),
  second: z.number().int().min(0).max(59).default(0),
  /** Only on these weekdays, e.g. ['MONDAY', 'TUESDAY']. Default: every day. */
  dayOfWeek: z.array(z.enum(DAYS_OF_WEEK)).min(1).optional(),
  /** Only on these days of the month (1-31). Default: every day. */
  dayOfMonth: z.array(z.number().int().min(1).max(31)).min(1).optional(),
  /** Only in these months, e.g. ['JANUARY']. Default: every month. */
  month: z.array(z.enum(MONTHS)).min(1).optional(),
});

const scheduleDefinitionSchema = z
  .strictObject({
    pipeline: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'use the pipeline name, e.g. "shop"'),
    /** Five-field cron, e.g. '0 3 * * *'. Give this or `calendar`. */
    cron: z.string().optional(),
    /** The same as a calendar, e.g. { hour: 3, minute: 0 }. Give this or `cron`. */
    calendar: calendarSchema.optional(),
    /** IANA zone of the slot time. Default and only allowed value: the pipeline's own zone. */
    timeZone: z
      .string()
      .refine(isValidTimeZone, 'use an IANA time zone such as UTC or Europe/Berlin')
      .optional(),
    /**
     * How late a slot may still start after the server was unavailable at its time. Default 1 day:
     * a short outage costs nothing; longer gaps show in `medallion schedules list` and are filled
     * deliberately with `medallion schedules backfill`.
     */
    catchupWindow: durationSchema.default('1 day'),
    /** Default BUFFER_ONE: a day that overruns its slot delays the next day, in order, never beside it. */
    overlap: z.enum(OVERLAP_POLICIES).default('BUFFER_ONE'),
    /** Default true: a failed day stops later days (SCD2 date order) until fixed and unpaused. */
    pauseOnFailure: z.boolean().default(true),
    /** Random delay up to this after the slot, to spread many pipelines' starts. The logical date does not move. */
    jitter: durationSchema.default('0s'),
    /** Shown in the Temporal UI and `schedules list` (a pause replaces it with the reason). */
    note: z.string().max(500).default(''),
  })
  .superRefine((definition, ctx) => {
    if ((definition.cron === undefined) === (definition.calendar === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['cron'],
        message: "give exactly one of cron (e.g. '0 3 * * *') or calendar (e.g. { hour: 3 })",
      });
    }
    // Zod keeps checking after a field's own issue: bounds only for durations that parsed.
    const catchup = durationSchema.safeParse(definition.catchupWindow).success
      ? durationMs(definition.catchupWindow)
      : undefined;
    if (catchup !== undefined && (catchup < 60_000 || catchup > 365 * 86_400_000)) {
      ctx.addIssue({
        code: 'custom',
        path: ['catchupWindow'],
        message: 'use between 1 minute and 365 days',
      });
    }
    if (durationSchema.safeParse(definition.jitter).success && durationMs(definition.jitter) > 3600_000) {
      ctx.addIssue({ code: 'custom', path: ['jitter'], message: 'use at most 1 hour' });
    }
  });

export type ScheduleDefinitionInput = z.input<typeof scheduleDefinitionSchema>;

/** A validated schedule, resolved into what the server needs. */
export interface ScheduleDefinition {
  scheduleId: string;
  pipeline: string;
  slot: DailySlot;
  timeZone: string;
  catchupWindowMs: number;
  jitterMs: number;
  overlap: DailyOverlapPolicy;
  pauseOnFailure: boolean;
  note: string;
  workflowIdPrefix: string;
}

export interface PipelineZone {
  name: string;
  timeZone: string;
}

export interface LoadOptions {
  /** First local date of the DST check (default: today, UTC). Tests pin it. */
  checkFrom?: string;
  /** How many days the DST check covers (default: two years, every spring and autumn change). */
  checkDays?: number;
}

function slotOf(parsed: z.infer<typeof scheduleDefinitionSchema>): DailySlot {
  if (parsed.cron !== undefined) return parseCron(parsed.cron);
  const calendar = parsed.calendar!;
  const sorted = (values: number[]) => [...new Set(values)].sort((a, b) => a - b);
  return {
    hour: calendar.hour,
    minute: calendar.minute,
    second: calendar.second,
    daysOfMonth: calendar.dayOfMonth ? sorted(calendar.dayOfMonth) : ALL_DAYS_OF_MONTH,
    months: calendar.month ? sorted(calendar.month.map((m) => MONTHS.indexOf(m) + 1)) : ALL_MONTHS,
    daysOfWeek: calendar.dayOfWeek
      ? sorted(calendar.dayOfWeek.map((d) => DAYS_OF_WEEK.indexOf(d)))
      : ALL_DAYS_OF_WEEK,
  };
}

/** Validates one definition against the pipelines it may schedule; throws ConfigError naming each bad field. */
export function loadScheduleDefinition(
  input: unknown,
  pipelines: Record<string, PipelineZone>,
  options: LoadOptions = {},
): ScheduleDefinition {
  const name = (input as { pipeline?: unknown } | null)?.pipeline;
  const source = `schedule of pipeline ${typeof name === 'string' ? `"${name}"` : '(unnamed)'}`;
  const result = scheduleDefinitionSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((i) => ({ path: formatPath(i.path) || '(root)', message: i.message })),
    );
  }
  const parsed = result.data;
  const fail = (path: string, message: string) => new ConfigError(source, [{ path, message }]);
  const pipeline = pipelines[parsed.pipeline];
  if (!pipeline) {
    throw fail('pipeline', `unknown pipeline; known: ${Object.keys(pipelines).join(', ') || '(none)'}`);
  }
  const timeZone = parsed.timeZone ?? pipeline.timeZone;
  if (timeZone !== pipeline.timeZone) {
    throw fail(
      'timeZone',
      `the pipeline's logical dates are days in ${pipeline.timeZone}; schedule it in that zone (or leave timeZone out)`,
    );
  }
  let slot: DailySlot;
  try {
    slot = slotOf(parsed);
  } catch (error) {
    throw fail('cron', (error as Error).message);
  }
  const dst = findDstProblem(
    slot,
    timeZone,
    options.checkFrom ?? new Date().toISOString().slice(0, 10),
    options.checkDays ?? 2 * 366,
  );
  if (dst) throw fail(parsed.cron !== undefined ? 'cron' : 'calendar.hour', dst.message);
  return {
    scheduleId: scheduleIdFor(parsed.pipeline),
    pipeline: parsed.pipeline,
    slot,
    timeZone,
    catchupWindowMs: durationMs(parsed.catchupWindow),
    jitterMs: durationMs(parsed.jitter),
    overlap: parsed.overlap,
    pauseOnFailure: parsed.pauseOnFailure,
    note: parsed.note,
    workflowIdPrefix: workflowIdPrefixFor(parsed.pipeline),
  };
}

/** Validates every definition; one schedule per pipeline. */
export function loadScheduleDefinitions(
  inputs: readonly unknown[],
  pipelines: Record<string, PipelineZone>,
  options: LoadOptions = {},
): ScheduleDefinition[] {
  const definitions = inputs.map((input) => loadScheduleDefinition(input, pipelines, options));
  const seen = new Set<string>();
  for (const definition of definitions) {
    if (seen.has(definition.pipeline)) {
      throw new ConfigError(`schedule of pipeline "${definition.pipeline}"`, [
        {
          path: 'pipeline',
          message:
            'declared twice: a pipeline has one schedule (a second would start a second run for the same logical date)',
        },
      ]);
    }
    seen.add(definition.pipeline);
  }
  return definitions;
}

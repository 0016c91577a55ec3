/**
 * Data-quality checks a stage declares (`checks` in the pipeline spec). A Glue / EMR Serverless stage
 * checks the rows its job wrote (the job measures them, core/job-manifest.ts); an SCD2 or load stage
 * checks its staged batch in the warehouse before the merge or load runs (activities/redshift-data.ts).
 * Each check measures one number and holds it to a bound; `block` fails the stage (nothing downstream
 * runs, nothing is loaded), `warn` records the outcome and lets the stage go on.
 */
import { z } from 'zod';

const identifier = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'use lower_snake_case: a letter, then letters, digits or _ (max 63)');
/** Column names may start with `_` (the lake's `_commit_ts`, `_op`). */
const column = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'use a lower-case column name: letters, digits or _ (max 63)');
const columns = z.array(column).min(1, 'name at least one column');
const duration = z
  .string()
  .regex(
    /^\d+(\.\d+)?\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)$/,
    "use a duration like '90s', '15m', '6h' or '2 days'",
  );

const common = {
  /** Unique within the stage: names the check in the report, the CLI and the alerts. */
  name: identifier,
  severity: z.enum(['block', 'warn']).default('block'),
  description: z.string().optional(),
};

const trailingSchema = z
  .object({
    /** How many earlier logical dates the median is taken over (those that have a count). */
    days: z.number().int().min(1).max(90),
    /** The day's count must be at least this fraction of the trailing median (0.5 = half). */
    minRatio: z.number().min(0).optional(),
    /** ... and at most this multiple of it. */
    maxRatio: z.number().min(0).optional(),
  })
  .refine((t) => t.minRatio !== undefined || t.maxRatio !== undefined, {
    message: 'give minRatio, maxRatio or both',
  });

export const qualityCheckSchema = z.discriminatedUnion('kind', [
  z
    .object({
      ...common,
      kind: z.literal('rowCount'),
      min: z.number().int().min(0).optional(),
      max: z.number().int().min(0).optional(),
      /** Bounds relative to the median count of the trailing days. */
      trailing: trailingSchema.optional(),
    })
    .refine((c) => c.min !== undefined || c.max !== undefined || c.trailing !== undefined, {
      message: 'a rowCount check needs min, max or trailing',
    }),
  z.object({
    ...common,
    kind: z.literal('quarantineRatio'),
    /** Quarantined rows / rows the job's SELECT produced, at most this (0.02 = 2 %). */
    max: z.number().min(0).max(1),
  }),
  z.object({ ...common, kind: z.literal('unique'), columns }),
  z.object({ ...common, kind: z.literal('notNull'), columns }),
  z.object({
    ...common,
    kind: z.literal('freshness'),
    /** A timestamp column (UTC); at least one row must be newer than the day's end minus `within`. */
    column,
    within: duration,
  }),
  z.object({
    ...common,
    kind: z.literal('references'),
    /** The checked rows' key columns; rows whose key is NULL are not checked (use notNull for that). */
    columns,
    /**
     * Where every key must exist: a job stage names one of its inputs (`customers`); a warehouse stage
     * names a warehouse table (`analytics.dim_customer`).
     */
    table: z
      .string()
      .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$/, 'name an input (customers) or a table (schema.table)'),
    /** The referenced table's columns, in the order of `columns` (default: the same names). */
    tableColumns: columns.optional(),
  }),
  z.object({
    ...common,
    kind: z.literal('predicate'),
    /** A boolean SQL expression every row must satisfy (NULL counts as violated). */
    sql: z.string().trim().min(1),
    /** How many rows may violate it. */
    maxViolations: z.number().int().min(0).default(0),
  }),
]);

export type QualityCheck = z.output<typeof qualityCheckSchema>;
export type QualityCheckInput = z.input<typeof qualityCheckSchema>;

/** Where a stage's checks run: on the job's output in the lake, or on the staged batch in the warehouse. */
type CheckSite = 'lake' | 'warehouse';

/** Which stage kinds may declare which checks; `undefined`: the kind declares none. */
function checkSiteOf(stageKind: string): CheckSite | undefined {
  if (stageKind === 'glue' || stageKind === 'emr-serverless') return 'lake';
  if (stageKind === 'scd2' || stageKind === 'load') return 'warehouse';
  return undefined;
}

/**
 * The problems of one stage's check list, as (path below the list, message) pairs: duplicate names,
 * checks the stage's site cannot run, references a job stage cannot resolve.
 */
export function checkListProblems(
  stageKind: string,
  checks: QualityCheck[],
  jobInputs: string[],
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const site = checkSiteOf(stageKind);
  const seen = new Set<string>();
  checks.forEach((check, index) => {
    if (!site) {
      problems.push({
        path: [index],
        message: `a ${stageKind} stage runs no checks; declare them on the Glue, EMR Serverless, scd2 or load stage that reads its output`,
      });
      return;
    }
    if (seen.has(check.name))
      problems.push({ path: [index, 'name'], message: `duplicate check "${check.name}"` });
    seen.add(check.name);
    if (check.kind === 'quarantineRatio' && site !== 'lake') {
      problems.push({
        path: [index, 'kind'],
        message: 'quarantineRatio applies to Glue / EMR Serverless stages (their jobs quarantine rows)',
      });
    }
    if (check.kind === 'references') {
      if (site === 'lake' && !jobInputs.includes(check.table)) {
        problems.push({
          path: [index, 'table'],
          message: `"${check.table}" is not an input of this job; name one of: ${jobInputs.join(', ')}`,
        });
      }
      if (site === 'warehouse' && !check.table.includes('.')) {
        problems.push({ path: [index, 'table'], message: 'name the warehouse table as schema.table' });
      }
      if (check.tableColumns && check.tableColumns.length !== check.columns.length) {
        problems.push({
          path: [index, 'tableColumns'],
          message: `name as many columns as \`columns\` (${check.columns.length})`,
        });
      }
    }
  });
  return problems;
}

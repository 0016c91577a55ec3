/**
 * The pipeline definition: which stages exist, what each reads and writes, how they depend on each
 * other, and how long / how often each may run, poll and retry. Environment facts (accounts, job
 * names, buckets) live in core/environment.ts, so one pipeline runs anywhere.
 */
import { z } from 'zod';
import { isValidTimeZone } from './dates';
import { checkListProblems, qualityCheckSchema } from './quality-checks';
import { dimensionSpecSchema, factLoadSpecSchema } from './warehouse-spec';

/** A duration as Temporal's `ms`-style strings take it: '90s', '15 minutes', '6h', '2 days'. */
export const durationSchema = z
  .string()
  .regex(
    /^\d+(\.\d+)?\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)$/,
    "use a duration like '90s', '15m', '6h' or '2 days'",
  );

const identifierSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'use lower_snake_case: a letter, then letters, digits or _ (max 63)');

export const pollSpecSchema = z
  .object({
    initialInterval: durationSchema,
    maxInterval: durationSchema,
    backoffCoefficient: z.number().min(1).max(10),
  })
  .partial();

const retrySpecSchema = z
  .object({
    /**
     * New AWS runs after the stage's job itself ended FAILED (Airflow's `retries`): each gets a run
     * key of its own. 0 fails the stage on the first failed run.
     */
    jobRetries: z.number().int().min(0).max(10),
    /** Attempts of the activity on transient errors (throttling, 5xx, a lost worker): they attach. */
    maximumAttempts: z.number().int().min(1),
    initialInterval: durationSchema,
    backoffCoefficient: z.number().min(1).max(10),
    maximumInterval: durationSchema,
  })
  .partial();

const timeoutsSpecSchema = z
  .object({
    /** Longest a single attempt may take, job run included. No hidden cap beyond this. */
    startToClose: durationSchema,
    /** How long a silent worker is tolerated before the attempt is retried elsewhere. */
    heartbeat: durationSchema,
  })
  .partial();

const stageBase = {
  id: identifierSchema,
  description: z.string().optional(),
  dependsOn: z.array(identifierSchema).default([]),
  timeouts: timeoutsSpecSchema.optional(),
  retry: retrySpecSchema.optional(),
  poll: pollSpecSchema.optional(),
  /** Data-quality checks of the stage's output (core/quality-checks.ts). */
  checks: z.array(qualityCheckSchema).default([]),
};

/** Where a job input comes from, resolved to an s3:// prefix by the plan. */
const jobInputSourceSchema = z.discriminatedUnion('layer', [
  z.object({ layer: z.literal('bronze-cdc'), schema: identifierSchema, table: identifierSchema }),
  z.object({ layer: z.literal('bronze-saas'), object: identifierSchema }),
  z.object({
    layer: z.enum(['silver', 'gold']),
    table: identifierSchema,
    /** Read every date partition instead of the logical date's only (e.g. latest product versions). */
    allDates: z.boolean().default(false),
  }),
]);

export const jobDefinitionSchema = z.object({
  inputs: z
    .array(
      z.object({
        name: identifierSchema,
        source: jobInputSourceSchema,
        optional: z.boolean().default(false),
        /** Column name -> type: the schema of the view when an optional input is absent. */
        columns: z.record(z.string(), z.string()).optional(),
      }),
    )
    .min(1),
  /** ONE SELECT in the Spark-SQL / DuckDB common subset; see core/job-manifest.ts. */
  sql: z.string().min(1),
  quarantineWhen: z.string().optional(),
  output: z.object({ layer: z.enum(['silver', 'gold']), table: identifierSchema }),
});

const stageSpecSchema = z.discriminatedUnion('kind', [
  z.object({
    ...stageBase,
    kind: z.literal('dms'),
    /** Logical task name; the environment maps it to a replication task ARN. */
    task: identifierSchema,
    schema: identifierSchema,
    tables: z.array(identifierSchema).min(1),
  }),
  z.object({
    ...stageBase,
    kind: z.literal('appflow'),
    /** Logical flow name; the environment maps it to the AppFlow flow name. */
    flow: identifierSchema,
    object: identifierSchema,
  }),
  z.object({
    ...stageBase,
    kind: z.literal('glue'),
    job: jobDefinitionSchema,
    /** Logical crawler name to run after the job; the environment maps it to a Glue crawler. */
    crawler: identifierSchema.optional(),
  }),
  z.object({ ...stageBase, kind: z.literal('emr-serverless'), job: jobDefinitionSchema }),
  z.object({
    ...stageBase,
    kind: z.literal('scd2'),
    dimension: dimensionSpecSchema,
    /** The silver table whose change records of the logical date feed the merge. */
    sourceTable: identifierSchema,
  }),
  z.object({
    ...stageBase,
    kind: z.literal('load'),
    fact: factLoadSpecSchema,
    /** The gold table whose logical-date partition is loaded. */
    sourceTable: identifierSchema,
  }),
]);

export const pipelineSpecSchema = z
  .object({
    name: identifierSchema,
    description: z.string().optional(),
    timeZone: z.string().refine(isValidTimeZone, 'use an IANA time zone such as UTC or Europe/Berlin'),
    /** How many stages may run at once within one daily run. */
    maxConcurrentStages: z.number().int().min(1).max(64).default(4),
    stages: z.array(stageSpecSchema).min(1),
  })
  .superRefine((spec, ctx) => {
    const ids = new Set<string>();
    spec.stages.forEach((stage, index) => {
      if (ids.has(stage.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', index, 'id'],
          message: `duplicate stage id "${stage.id}"`,
        });
      }
      ids.add(stage.id);
    });
    spec.stages.forEach((stage, index) => {
      stage.dependsOn.forEach((dep, depIndex) => {
        if (!ids.has(dep)) {
          ctx.addIssue({
            code: 'custom',
            path: ['stages', index, 'dependsOn', depIndex],
            message: `unknown stage "${dep}"; dependsOn must name stages of this pipeline`,
          });
        }
      });
    });
    spec.stages.forEach((stage, index) => {
      const inputs = 'job' in stage ? stage.job.inputs.map((input) => input.name) : [];
      for (const problem of checkListProblems(stage.kind, stage.checks, inputs)) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', index, 'checks', ...problem.path],
          message: problem.message,
        });
      }
    });
    const cycle = findCycle(spec.stages);
    if (cycle) {
      ctx.addIssue({ code: 'custom', path: ['stages'], message: `dependency cycle: ${cycle.join(' -> ')}` });
    }
  });

export type PipelineSpec = z.infer<typeof pipelineSpecSchema>;
export type PipelineSpecInput = z.input<typeof pipelineSpecSchema>;
export type StageSpec = z.infer<typeof stageSpecSchema>;
export type StageKind = StageSpec['kind'];
export type JobDefinition = z.infer<typeof jobDefinitionSchema>;
export type JobDefinitionInput = z.input<typeof jobDefinitionSchema>;
export type PollSpec = z.infer<typeof pollSpecSchema>;
export type RetrySpec = z.infer<typeof retrySpecSchema>;
export type TimeoutsSpec = z.infer<typeof timeoutsSpecSchema>;

function findCycle(stages: { id: string; dependsOn: string[] }[]): string[] | undefined {
  const deps = new Map(stages.map((s) => [s.id, s.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const dep of deps.get(id) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const stage of stages) {
    const cycle = visit(stage.id);
    if (cycle) return cycle;
  }
  return undefined;
}

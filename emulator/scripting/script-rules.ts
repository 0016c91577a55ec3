/**
 * What tests and demos can script: how long runs take, which runs fail, which calls are throttled or
 * fail, and how slow every call is. The same schemas validate the config's `script` section and the
 * admin API's request bodies.
 */
import { z } from 'zod';

/** Services whose runs can be scripted (the AWS signing names). */
const scriptableServices = ['glue', 'emr-serverless', 'dms', 'appflow', 'redshift-data'] as const;
export type ScriptableService = (typeof scriptableServices)[number];

/** An AWS operation as `<signing name>:<Operation>`, e.g. `glue:StartJobRun`, or `*` for every call. */
const operationPatternSchema = z
  .string()
  .regex(
    /^(\*|(s3|glue|emr-serverless|dms|appflow|redshift-data):([A-Z][A-Za-z0-9]*|\*))$/,
    "use '<service>:<Operation>' such as 'glue:StartJobRun', '<service>:*' or '*'",
  );

/**
 * Which runs a rule applies to. `name` is the resource (Glue job or crawler, EMR application id, DMS
 * task id, AppFlow flow, Redshift Data statement name) or the manifest's stageId of a Glue / EMR run;
 * `*` matches every run of the service.
 */
const runTargetShape = {
  service: z.enum(scriptableServices, { error: `use one of ${scriptableServices.join(', ')}` }),
  name: z.string().min(1, "name a resource, a manifest stageId or '*'"),
};

export const durationRuleSchema = z.object({
  ...runTargetShape,
  /** How long the run's main phase (RUNNING, running, InProgress, STARTED) lasts at least. */
  ms: z.number().int().min(0),
});

export const runFailureRuleSchema = z.object({
  ...runTargetShape,
  count: z.number().int().min(1).default(1),
  message: z.string().min(1).default('Scripted failure'),
});

/** Where a scripted call fault strikes: before the operation runs, or after it took effect. */
const callFaultPhases = ['before', 'after-effect'] as const;
/** What the caller gets: an AWS error response, or a connection closed without any answer. */
const callFaultResponses = ['error', 'drop'] as const;

export const callFaultRuleSchema = z
  .object({
    operation: operationPatternSchema,
    count: z.number().int().min(1).default(1),
    /**
     * 'before': the call is refused and has no effect (throttling, validation). 'after-effect': the
     * operation runs (a run starts, the start-call log records it), then its answer is lost: the
     * caller cannot tell whether the call worked, as after a 5xx or a reset connection on AWS.
     */
    phase: z.enum(callFaultPhases, { error: `use one of ${callFaultPhases.join(', ')}` }).default('before'),
    /** 'error': answer with `code`; 'drop': destroy the connection without an answer. */
    response: z
      .enum(callFaultResponses, { error: `use one of ${callFaultResponses.join(', ')}` })
      .default('error'),
    /**
     * AWS error code to answer with; default: the service's throttling error before the effect, the
     * service's own 500 error after it (InternalServiceException, InternalServerException, ...).
     */
    code: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]*$/, 'use an AWS error code such as ThrottlingException')
      .optional(),
    message: z.string().min(1).optional(),
    /** HTTP status; default: 400 (503 for S3's SlowDown, 429 where the service model says so), 500 after the effect. */
    httpStatus: z.number().int().min(400).max(599).optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.response !== 'drop') return;
    for (const field of ['code', 'message', 'httpStatus'] as const) {
      if (rule[field] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `a dropped response has no ${field}: remove it, or use response 'error'`,
        });
    }
  });

export const latencyRuleSchema = z.object({
  operation: operationPatternSchema,
  ms: z.number().int().min(0),
});

export const scriptSchema = z.object({
  durations: z.array(durationRuleSchema).default([]),
  runFailures: z.array(runFailureRuleSchema).default([]),
  callFaults: z.array(callFaultRuleSchema).default([]),
  latencies: z.array(latencyRuleSchema).default([]),
  /** Pins the simulated sources' clock (DMS and AppFlow "now"), ISO-8601; null = wall clock. */
  sourceClock: z.iso.datetime({ offset: true }).nullable().default(null),
});

export type DurationRule = z.infer<typeof durationRuleSchema>;
export type RunFailureRule = z.infer<typeof runFailureRuleSchema>;
export type RunFailureRuleInput = z.input<typeof runFailureRuleSchema>;
export type CallFaultRule = z.infer<typeof callFaultRuleSchema>;
export type CallFaultRuleInput = z.input<typeof callFaultRuleSchema>;
export type LatencyRule = z.infer<typeof latencyRuleSchema>;
export type EmulatorScript = z.infer<typeof scriptSchema>;

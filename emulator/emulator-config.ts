/**
 * The emulator's resources (what exists in the emulated account) and timing, validated with zod so a
 * bad field is reported by its path (e.g. `dms.tasks[0].outputUri: ...`).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseOrThrow } from '../core/config-errors';
import { isValidTimeZone } from '../core/dates';
import { scriptSchema } from './scripting/script-rules';

const resourceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/, 'use letters, digits, . _ or -');
const bucketName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'use an S3 bucket name: 3-63 lower-case letters, digits, . or -',
  );
const s3Prefix = z
  .string()
  .regex(
    /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/(.*\/)?$/,
    'use an s3:// prefix ending in /, e.g. s3://lake/bronze/cdc/',
  );
const timeZone = z.string().refine(isValidTimeZone, 'use an IANA time zone such as UTC or Europe/Berlin');
const durationMs = z.number().int().min(0);

const timingSchema = z.object({
  /** How long each short intermediate state lasts (STARTING, SUBMITTED, PICKED, stopping, ...). */
  transitionMs: durationMs.default(100),
  /** Default length of a run's main phase when neither the resource nor the script sets one. */
  runMs: durationMs.default(500),
  /** How long one emulated minute lasts, for timeouts given in minutes (Glue Timeout, EMR executionTimeoutMinutes). */
  minuteMs: z.number().int().min(1).default(60_000),
});

const glueJobSchema = z.object({
  name: resourceName,
  description: z.string().optional(),
  role: z.string().min(1).default('arn:aws:iam::123456789012:role/medallion-glue'),
  scriptLocation: z.string().min(1).default('s3://medallion-artifacts/jobs/sql_runner.py'),
  defaultArguments: z.record(z.string(), z.string()).default({}),
  maxConcurrentRuns: z.number().int().min(1).default(1),
  /**
   * Job.MaxRetries: after a FAILED run Glue starts a retry run of its own (a new run id, Attempt + 1,
   * PreviousRunId, the same arguments), up to this many times.
   */
  maxRetries: z.number().int().min(0).max(10).default(0),
  /** Job.JobRunQueuingEnabled: a start beyond maxConcurrentRuns waits (WAITING) instead of failing. */
  jobRunQueuingEnabled: z.boolean().default(false),
  timeoutMinutes: z.number().int().min(1).default(2880),
  glueVersion: z.string().default('5.0'),
  workerType: z.string().default('G.1X'),
  numberOfWorkers: z.number().int().min(1).default(2),
  durationMs: durationMs.optional(),
});

const glueCrawlerSchema = z.object({
  name: resourceName,
  role: z.string().min(1).default('arn:aws:iam::123456789012:role/medallion-glue'),
  databaseName: z.string().min(1).default('medallion'),
  s3Targets: z.array(z.string().min(1)).default([]),
  durationMs: durationMs.optional(),
});

const emrApplicationSchema = z.object({
  id: z.string().regex(/^[0-9a-z]{1,64}$/, 'use an application id of lower-case letters and digits'),
  name: z.string().min(1).default('medallion'),
  releaseLabel: z.string().default('emr-7.5.0'),
  type: z.string().default('Spark'),
  state: z.enum(['CREATED', 'STARTED', 'STOPPED', 'TERMINATED']).default('CREATED'),
  durationMs: durationMs.optional(),
});

const dmsTaskSchema = z.object({
  id: z
    .string()
    .regex(
      /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}(?<!-)$/,
      'use a task identifier: a letter, then letters, digits or single hyphens',
    ),
  /** Defaults to a stable ARN derived from the id (see dmsTaskArn). */
  arn: z
    .string()
    .startsWith('arn:', 'use an ARN such as arn:aws:dms:us-east-1:123456789012:task:ABC')
    .optional(),
  migrationType: z.enum(['full-load', 'cdc', 'full-load-and-cdc']).default('full-load-and-cdc'),
  schema: z.string().min(1),
  tables: z.array(z.string().min(1)).min(1, 'list at least one table'),
  seed: z.number().int(),
  /** DatePartitionTimezone of the S3 target: the commit date in this zone picks the output folder. */
  timeZone: timeZone.default('UTC'),
  /**
   * CdcMaxBatchInterval of the S3 target, in seconds: each CDC file holds at most this much commit
   * time. AWS defaults to 60 s of task time; the emulator writes a window at once, so it counts commit
   * time and defaults to an hour. A daily pipeline sets a day (86400) for one file per table and day.
   */
  cdcMaxBatchInterval: z
    .number()
    .int('use a whole number of seconds')
    .min(1, 'use at least 1 second')
    .max(86_400, 'use at most 86400 seconds (a day)')
    .default(3600),
  outputUri: s3Prefix,
  durationMs: durationMs.optional(),
});

const appflowFlowSchema = z.object({
  name: z
    .string()
    .regex(/^[a-zA-Z0-9][\w!@#.-]{0,255}$/, 'use an AppFlow flow name: letters, digits, !@#.-_'),
  description: z.string().optional(),
  /** The SaaS object the flow pulls, e.g. "accounts". */
  object: z.string().min(1),
  connectorType: z.string().default('Salesforce'),
  bucket: bucketName,
  seed: z.number().int(),
  durationMs: durationMs.optional(),
  /**
   * The flow's S3 destination output, as DescribeFlow shows it (S3DestinationProperties bucketPrefix,
   * S3OutputFormatConfig): executions write under `<bucketPrefix>/<flow>/[<date path>/]<hierarchy>/`,
   * objects named without a file extension, as AppFlow names them.
   */
  output: z
    .object({
      bucketPrefix: z.string().default('bronze/saas/_appflow'),
      fileType: z
        .literal('PARQUET', { error: "the emulator's flows write Parquet only: use PARQUET" })
        .default('PARQUET'),
      pathPrefixHierarchy: z.array(z.enum(['EXECUTION_ID', 'SCHEMA_VERSION'])).default(['EXECUTION_ID']),
      prefixType: z.enum(['FILENAME', 'PATH', 'PATH_AND_FILENAME']).optional(),
      prefixFormat: z.enum(['YEAR', 'MONTH', 'DAY', 'HOUR', 'MINUTE']).default('DAY'),
      aggregationType: z.enum(['None', 'SingleFile']).default('None'),
    })
    .prefault({}),
});

const snsTopicSchema = z.object({
  /** The topic name; a name ending in .fifo is a FIFO topic. */
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9_-]{1,256}(\.fifo)?$/,
      'use 1-256 letters, digits, - or _ (a FIFO topic ends in .fifo)',
    ),
  /** FIFO topics: deduplicate by a hash of the message when no MessageDeduplicationId is given. */
  contentBasedDeduplication: z.boolean().default(false),
});

const redshiftDatabasesSchema = z.array(z.string().min(1)).min(1, 'list at least one database');

const redshiftSchema = z.object({
  workgroups: z.array(z.object({ name: resourceName, databases: redshiftDatabasesSchema })).default([]),
  clusters: z.array(z.object({ identifier: resourceName, databases: redshiftDatabasesSchema })).default([]),
  /** Rows per GetStatementResult page before a NextToken is returned. */
  resultPageRows: z.number().int().min(1).default(1000),
  /**
   * Finished statements kept for DescribeStatement / ListStatements / GetStatementResult. The Data API
   * forgets a statement 24 hours after it ran; the emulator also bounds how many it keeps, so a long
   * local history (months of daily runs, a year's backfill) does not rewrite ever larger state.
   */
  finishedStatementsKept: z.number().int().min(1).default(500),
});

const emulatorConfigSchema = z
  .object({
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'use an AWS region such as us-east-1')
      .default('us-east-1'),
    accountId: z
      .string()
      .regex(/^\d{12}$/, 'use a 12-digit account id')
      .default('123456789012'),
    timing: timingSchema.prefault({}),
    s3: z.object({ buckets: z.array(bucketName).default([]) }).prefault({}),
    glue: z
      .object({ jobs: z.array(glueJobSchema).default([]), crawlers: z.array(glueCrawlerSchema).default([]) })
      .prefault({}),
    emrServerless: z.object({ applications: z.array(emrApplicationSchema).default([]) }).prefault({}),
    /**
     * Finished job runs kept per Glue job and per EMR Serverless application (GetJobRun, GetJobRuns,
     * ListJobRuns). AWS keeps them for weeks; the emulator bounds their number instead, so months of
     * daily runs or a year's backfill do not rewrite an ever larger state file on every change.
     */
    finishedJobRunsKept: z.number().int().min(1).default(200),
    dms: z.object({ tasks: z.array(dmsTaskSchema).default([]) }).prefault({}),
    appflow: z.object({ flows: z.array(appflowFlowSchema).default([]) }).prefault({}),
    redshift: redshiftSchema.prefault({}),
    sns: z.object({ topics: z.array(snsTopicSchema).default([]) }).prefault({}),
    /** Applied when the data directory is new; later starts keep the script the directory holds. */
    script: scriptSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    const unique = (path: (string | number)[], names: string[], what: string) => {
      const seen = new Set<string>();
      names.forEach((name, index) => {
        if (seen.has(name))
          ctx.addIssue({ code: 'custom', path: [...path, index], message: `duplicate ${what} "${name}"` });
        seen.add(name);
      });
    };
    unique(['s3', 'buckets'], config.s3.buckets, 'bucket');
    unique(
      ['glue', 'jobs'],
      config.glue.jobs.map((j) => j.name),
      'job name',
    );
    unique(
      ['glue', 'crawlers'],
      config.glue.crawlers.map((c) => c.name),
      'crawler name',
    );
    unique(
      ['emrServerless', 'applications'],
      config.emrServerless.applications.map((a) => a.id),
      'application id',
    );
    unique(
      ['dms', 'tasks'],
      config.dms.tasks.map((t) => t.id),
      'task id',
    );
    unique(
      ['appflow', 'flows'],
      config.appflow.flows.map((f) => f.name),
      'flow name',
    );
    unique(
      ['redshift', 'workgroups'],
      config.redshift.workgroups.map((w) => w.name),
      'workgroup',
    );
    unique(
      ['sns', 'topics'],
      config.sns.topics.map((t) => t.name),
      'topic name',
    );
    unique(
      ['redshift', 'clusters'],
      config.redshift.clusters.map((c) => c.identifier),
      'cluster',
    );
  })
  .transform((config) => ({
    ...config,
    dms: {
      tasks: config.dms.tasks.map((task) => ({
        ...task,
        arn: task.arn ?? dmsTaskArn(config.region, config.accountId, task.id),
      })),
    },
  }));

export type EmulatorConfig = z.infer<typeof emulatorConfigSchema>;
export type EmulatorConfigInput = z.input<typeof emulatorConfigSchema>;
export type GlueJobConfig = EmulatorConfig['glue']['jobs'][number];
export type GlueCrawlerConfig = EmulatorConfig['glue']['crawlers'][number];
export type EmrApplicationConfig = EmulatorConfig['emrServerless']['applications'][number];
export type DmsTaskConfig = EmulatorConfig['dms']['tasks'][number];
export type AppFlowFlowConfig = EmulatorConfig['appflow']['flows'][number];

/** The ARN of an emulated SNS topic. */
export function snsTopicArn(config: Pick<EmulatorConfig, 'region' | 'accountId'>, name: string): string {
  return `arn:aws:sns:${config.region}:${config.accountId}:${name}`;
}

/** Validates a config; throws ConfigError listing every bad field by path and how to fix it. */
export function parseEmulatorConfig(input: unknown, source = 'emulator config'): EmulatorConfig {
  return parseOrThrow(emulatorConfigSchema, input, source);
}

/** A stable DMS-looking task ARN (26 upper-case base32 characters, like the real ones) for a task id. */
export function dmsTaskArn(region: string, accountId: string, taskId: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const digest = createHash('sha256').update(`${accountId}/${region}/${taskId}`).digest();
  const suffix = Array.from(digest.subarray(0, 26), (byte) => alphabet[byte % 32]).join('');
  return `arn:aws:dms:${region}:${accountId}:task:${suffix}`;
}

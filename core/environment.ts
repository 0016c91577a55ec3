/**
 * Where a pipeline runs: account, region, buckets and the AWS resources its logical names map to.
 * Kept apart from the pipeline definition so the same `shop` pipeline runs on the local emulator
 * and in any AWS account. Loaded and validated by the worker at start (workers/config.ts).
 */
import { z } from 'zod';
import { pollSpecSchema } from './pipeline-spec';
import type { RedshiftTarget } from './stage-io';

const nonEmpty = z.string().min(1);
const bucketSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'use an S3 bucket name: 3-63 lower-case letters, digits, . or -',
  );

export const environmentSchema = z.object({
  /** A name for people: 'local', 'dev', 'prod'. */
  name: nonEmpty,
  region: nonEmpty,
  /** AWS endpoint override (the local emulator). Unset = real AWS endpoints. */
  endpoint: z.url().optional(),
  /** The lake bucket: bronze, silver, gold, quarantine and medallion's own markers. */
  lakeBucket: bucketSchema,
  /** Polling of every stage here, over the pipeline's and the defaults (the local emulator is fast). */
  poll: pollSpecSchema.optional(),
  glue: z.object({
    /** The generic SQL runner job (jobs/sql_runner.py) that every glue stage runs. */
    sqlRunnerJob: nonEmpty.default('medallion-sql-runner'),
    /** Logical crawler name -> Glue crawler name. */
    crawlers: z.record(z.string(), nonEmpty).default({}),
  }),
  emrServerless: z.object({
    applicationId: nonEmpty,
    executionRoleArn: nonEmpty,
    /** s3:// URI of jobs/sql_runner.py as deployed. */
    entryPoint: nonEmpty,
    sparkSubmitParameters: z.string().optional(),
  }),
  dms: z.object({
    /** Logical task name -> replication task ARN. */
    tasks: z.record(z.string(), nonEmpty),
  }),
  appflow: z.object({
    /** Logical flow name -> AppFlow flow name. */
    flows: z.record(z.string(), nonEmpty),
  }),
  /**
   * Where failed runs, backfills with failed dates and `warn` quality checks are alerted (and their
   * recoveries): an SNS topic. Unset: no alerts (the worker says so at start).
   */
  alerts: z
    .object({
      topicArn: z
        .string()
        .regex(
          /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/,
          'use an SNS topic ARN such as arn:aws:sns:eu-central-1:123456789012:medallion-alerts',
        ),
      /** Base URL of the Temporal UI the messages link runs to, e.g. https://temporal.example.com. */
      temporalUiUrl: z.url('use the Temporal UI base URL, e.g. http://127.0.0.1:8233').optional(),
    })
    .optional(),
  warehouse: z
    .object({
      /** SQL dialect of the warehouse: 'redshift' on AWS, 'duckdb' on the local emulator. */
      dialect: z.enum(['redshift', 'duckdb']),
      database: nonEmpty,
      workgroupName: nonEmpty.optional(),
      clusterIdentifier: nonEmpty.optional(),
      secretArn: nonEmpty.optional(),
      dbUser: nonEmpty.optional(),
      /** IAM role Redshift assumes for COPY from the lake. */
      copyRoleArn: z.string().default(''),
    })
    .refine((w) => Boolean(w.workgroupName) !== Boolean(w.clusterIdentifier), {
      message: 'set exactly one of workgroupName (Redshift Serverless) or clusterIdentifier (provisioned)',
      path: ['workgroupName'],
    })
    .refine((w) => w.dialect !== 'redshift' || w.copyRoleArn.length > 0, {
      message: 'set copyRoleArn: the IAM role Redshift assumes to COPY from the lake bucket',
      path: ['copyRoleArn'],
    }),
});

export type Environment = z.infer<typeof environmentSchema>;

/** Where the Redshift Data API runs this environment's statements. */
export function warehouseTarget(warehouse: Environment['warehouse']): RedshiftTarget {
  const { database, workgroupName, clusterIdentifier, secretArn, dbUser } = warehouse;
  return {
    database,
    ...(workgroupName ? { workgroupName } : {}),
    ...(clusterIdentifier ? { clusterIdentifier } : {}),
    ...(secretArn ? { secretArn } : {}),
    ...(dbUser ? { dbUser } : {}),
  };
}

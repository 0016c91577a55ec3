/**
 * Runtime checks of the inputs the stage activities receive. The plan builds them from the pipeline
 * spec and the environment config, so a bad field is a configuration error: not retried, and the
 * message names the field.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { FailureType } from '../core/errors';
import type { PollSettings, RedshiftTarget, StageRunIdentity } from '../core/stage-io';

const text = z.string().min(1);

export const identitySchema = z.object({
  workflowId: text,
  pipeline: text,
  logicalDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD'),
  stageId: text,
  generation: z.number().int().nonnegative(),
  runKey: z.string().min(1).max(64, 'AWS idempotency tokens take at most 64 characters'),
  plannedAt: z.iso.datetime({ offset: true }).optional(),
}) satisfies z.ZodType<StageRunIdentity>;

export const pollSchema = z
  .object({
    initialIntervalMs: z.number().positive(),
    maxIntervalMs: z.number().positive(),
    backoffCoefficient: z.number().min(1),
  })
  .refine((poll) => poll.maxIntervalMs >= poll.initialIntervalMs, {
    message: 'must be >= initialIntervalMs',
    path: ['maxIntervalMs'],
  }) satisfies z.ZodType<PollSettings>;

export const s3UriSchema = z.string().regex(/^s3:\/\/[^/]+\/.*$/, 'expected an s3://bucket/key URI');
export const s3PrefixSchema = z
  .string()
  .regex(/^s3:\/\/[^/]+\/(.*\/)?$/, 'expected an s3://bucket/prefix/ ending in "/"');

export const redshiftTargetSchema = z
  .object({
    database: text,
    workgroupName: text.optional(),
    clusterIdentifier: text.optional(),
    secretArn: text.optional(),
    dbUser: text.optional(),
  })
  .refine((t) => (t.workgroupName === undefined) !== (t.clusterIdentifier === undefined), {
    message:
      'set exactly one of workgroupName (Redshift Serverless) or clusterIdentifier (provisioned cluster)',
    path: ['workgroupName'],
  }) satisfies z.ZodType<RedshiftTarget>;

export { z, text };

/** Parses an activity input; on failure throws a non-retryable InvalidConfig naming every bad field. */
export function parseStageInput<T>(schema: z.ZodType<T>, input: unknown, activity: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`,
  );
  throw ApplicationFailure.create({
    type: FailureType.InvalidConfig,
    nonRetryable: true,
    message:
      `${activity} got an invalid input (${problems.join('; ')}); ` +
      'fix the pipeline spec or environment config that produced this stage',
    details: [{ activity, problems }],
  });
}

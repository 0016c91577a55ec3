/**
 * Reads the JobMetrics JSON a Glue / EMR Serverless SQL-runner job writes on success
 * (core/job-manifest.ts, point 4) and checks its shape.
 */
import { z } from 'zod';
import { FailureType } from '../core/errors';
import type { JobMetrics } from '../core/stage-io';
import { detectedFailure, type FailureSubject } from './aws-errors';
import type { S3Activities } from './s3';

const count = z.number().int().nonnegative();
const jobMetricsSchema = z.object({
  rowsIn: count,
  rowsOut: count,
  quarantined: count,
  checks: z.record(z.string(), z.number().nullable()).optional(),
}) satisfies z.ZodType<JobMetrics>;

export async function readJobMetrics(
  s3: S3Activities,
  metricsUri: string,
  job: FailureSubject,
): Promise<JobMetrics> {
  const raw = await s3.readJsonIfExists(metricsUri);
  if (raw === undefined) {
    throw detectedFailure(
      FailureType.AwsJobFailed,
      job,
      `the run succeeded but wrote no metrics at ${metricsUri}; the job script must write ` +
        '{ rowsIn, rowsOut, quarantined } there on success (see core/job-manifest.ts)',
    );
  }
  const parsed = jobMetricsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw detectedFailure(
      FailureType.AwsJobFailed,
      job,
      `metrics at ${metricsUri} are not JobMetrics (${problems}); fix the job script that writes them`,
    );
  }
  return parsed.data;
}

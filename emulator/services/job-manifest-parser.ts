import { z } from 'zod';
import { formatPath } from '../../core/config-errors';
import type { JobManifest } from '../../core/job-manifest';

const s3Uri = z.string().regex(/^s3:\/\/[^/]+\/.*/, 'use an s3:// URI');

const jobManifestSchema = z.object({
  pipeline: z.string().min(1),
  stageId: z.string().min(1),
  logicalDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use YYYY-MM-DD'),
  inputs: z.array(z.object({ name: z.string().min(1), uri: s3Uri, optional: z.boolean().optional() })),
  sql: z.string().min(1),
  quarantineWhen: z.string().optional(),
  outputUri: s3Uri,
  quarantineUri: s3Uri,
  metricsUri: s3Uri,
  checks: z.array(z.object({ name: z.string().min(1), sql: z.string().min(1) })).optional(),
}) satisfies z.ZodType<JobManifest>;

/**
 * Reads the JobManifest a Glue / EMR Serverless run carries. A bad manifest does not stop the start
 * call (AWS would accept the run too): the run fails with this message, as the SQL runner script would.
 */
export function parseJobManifest(text: string, argumentName: string): JobManifest | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { error: `${argumentName} is not valid JSON: ${(error as Error).message}` };
  }
  const result = jobManifestSchema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${formatPath(i.path) || '(manifest)'}: ${i.message}`);
  return { error: `${argumentName} is not a valid job manifest: ${problems.join('; ')}` };
}

/** The stageId of a manifest text, for scripting by stage; undefined when it does not parse. */
export function manifestStageId(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const parsed = parseJobManifest(text, 'manifest');
  return 'error' in parsed ? undefined : parsed.stageId;
}

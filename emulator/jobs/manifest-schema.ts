import { z } from 'zod';
import type { JobInput, JobManifest } from '../../core/job-manifest';

/**
 * Column types an input's `columns` hint may use: the Spark-SQL / DuckDB common subset, so the same
 * hint types an empty view in DuckDB and an empty DataFrame (DDL string) in Spark.
 */
const COLUMN_TYPE =
  /^(BIGINT|INT|INTEGER|SMALLINT|STRING|BOOLEAN|DOUBLE|DATE|TIMESTAMP|DECIMAL\(\d{1,2},\s*\d{1,2}\))$/i;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const S3_PREFIX = /^s3:\/\/[^/]+\/.+\/$/;

/**
 * An input as the runners accept it: core's JobInput plus an optional `columns` hint (name -> type)
 * that gives an absent optional input its schema. Without the hint an absent optional input is an
 * error, because an empty view needs columns for the SQL to bind.
 */
export interface JobInputWithColumns extends JobInput {
  columns?: Record<string, string>;
}

const inputSchema = z.object({
  name: z.string().regex(IDENTIFIER, 'must be a SQL identifier (letters, digits, _), e.g. bronze'),
  uri: z
    .string()
    .regex(S3_PREFIX, 'must be an s3:// prefix ending in /, e.g. s3://lake/silver/orders/dt=2025-01-01/'),
  optional: z.boolean().optional(),
  columns: z
    .record(
      z.string().regex(IDENTIFIER, 'column names must be SQL identifiers'),
      z
        .string()
        .regex(
          COLUMN_TYPE,
          'must be one of BIGINT, INT, INTEGER, SMALLINT, STRING, BOOLEAN, DOUBLE, DATE, TIMESTAMP, DECIMAL(p,s)',
        ),
    )
    .optional(),
});

const manifestSchema = z
  .object({
    pipeline: z.string().min(1, 'must name the pipeline'),
    stageId: z.string().min(1, 'must name the stage'),
    logicalDate: z.iso.date('must be a date YYYY-MM-DD'),
    inputs: z.array(inputSchema),
    sql: z.string().trim().min(1, 'must be one SELECT statement'),
    quarantineWhen: z.string().trim().min(1, 'must be a boolean SQL expression when present').optional(),
    outputUri: z.string().regex(S3_PREFIX, 'must be an s3:// prefix ending in /'),
    quarantineUri: z.string().regex(S3_PREFIX, 'must be an s3:// prefix ending in /'),
    metricsUri: z.string().regex(/^s3:\/\/[^/]+\/.+\.json$/, 'must be an s3:// URI of a .json object'),
    checks: z
      .array(
        z.object({
          name: z.string().regex(IDENTIFIER, 'must be a SQL identifier'),
          sql: z.string().trim().min(1, 'must be one SELECT returning a `measured` column'),
        }),
      )
      .optional(),
  })
  .superRefine((manifest, ctx) => {
    const names = manifest.inputs.map((input) => input.name.toLowerCase());
    names.forEach((name, index) => {
      if (names.indexOf(name) !== index) {
        ctx.addIssue({
          code: 'custom',
          path: ['inputs', index, 'name'],
          message: `duplicate input name '${name}'`,
        });
      }
    });
    const written = { outputUri: manifest.outputUri, quarantineUri: manifest.quarantineUri };
    if (overlaps(manifest.outputUri, manifest.quarantineUri)) {
      ctx.addIssue({
        code: 'custom',
        path: ['quarantineUri'],
        message: 'must not overlap outputUri (both are overwritten)',
      });
    }
    for (const [field, uri] of Object.entries(written)) {
      for (const input of manifest.inputs) {
        if (overlaps(uri, input.uri)) {
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: `overlaps input '${input.name}' (${input.uri}); a job must not overwrite what it reads`,
          });
        }
      }
    }
  });

export type ValidJobManifest = z.infer<typeof manifestSchema>;

function overlaps(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/** Validates a manifest; the error names every wrong field and what it should be. */
export function parseJobManifest(manifest: JobManifest): ValidJobManifest {
  const parsed = manifestSchema.safeParse(manifest);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `manifest.${issue.path.join('.')}: ${issue.message}`);
  throw new Error(problems.join('; '));
}

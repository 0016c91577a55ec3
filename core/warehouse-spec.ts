import { z } from 'zod';

/**
 * What the warehouse loaders need to know about a table: SCD2 dimensions (merged from change records)
 * and facts (one partition per logical date). The SQL generators in core/sql/ validate every spec and
 * batch through these schemas before interpolating anything, so a bad name fails with a message naming
 * the field instead of producing broken (or injectable) SQL.
 *
 * Every identifier is always double-quoted by the dialect, so SQL reserved words (`order`, `user`) are
 * fine as names; the regex keeps them to portable lower-case names (Redshift folds unquoted names to
 * lower case, and PostgreSQL limits names to 63 bytes).
 */

const IDENTIFIER_PATTERN = /^[a-z_][a-z0-9_]*$/;
/** Table names leave room for the derived names (`_md_stg_<table>`, `<table>_watermarks`, ...). */
const MAX_TABLE_NAME_LENGTH = 48;
const MAX_IDENTIFIER_LENGTH = 63;
/** Prefix of the generators' internal columns and temp tables; user names may not start with it. */
const INTERNAL_PREFIX = '_md_';

function identifier(maxLength = MAX_IDENTIFIER_LENGTH) {
  return z
    .string({ error: 'must be a string naming a SQL identifier' })
    .regex(
      IDENTIFIER_PATTERN,
      'must be a lower-case SQL identifier: a letter or "_" followed by letters, digits or "_" (e.g. "dim_customer"); rename it',
    )
    .max(maxLength, `must be at most ${maxLength} characters; shorten it`)
    .refine((name) => !name.startsWith(INTERNAL_PREFIX), {
      message: `must not start with "${INTERNAL_PREFIX}" (reserved for the loader's internal columns); rename it`,
    });
}

const SIMPLE_TYPES = ['bigint', 'integer', 'varchar', 'boolean', 'timestamp', 'date', 'double'] as const;
const TYPE_HELP = `use one of ${SIMPLE_TYPES.join(', ')}, varchar(n) with 1 <= n <= 65535, or decimal(p,s) with 1 <= p <= 38 and 0 <= s <= p`;

/** Portable column types; each dialect maps them to its own DDL. Timestamps are UTC, without zone. */
const columnTypeSchema = z
  .union(
    [
      z.enum(SIMPLE_TYPES),
      z.templateLiteral(['decimal(', z.int(), ',', z.int(), ')']),
      z.templateLiteral(['varchar(', z.int(), ')']),
    ],
    { error: `is not a supported column type: ${TYPE_HELP}` },
  )
  .superRefine((type, ctx) => {
    const decimal = /^decimal\((-?\d+),(-?\d+)\)$/.exec(type);
    if (decimal) {
      const precision = Number(decimal[1]);
      const scale = Number(decimal[2]);
      if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
        ctx.addIssue({ code: 'custom', message: `has an invalid precision or scale: ${TYPE_HELP}` });
      }
    }
    const varchar = /^varchar\((-?\d+)\)$/.exec(type);
    if (varchar) {
      const length = Number(varchar[1]);
      if (length < 1 || length > 65535) {
        ctx.addIssue({ code: 'custom', message: `has an invalid length: ${TYPE_HELP}` });
      }
    }
  });
export type ColumnType = z.infer<typeof columnTypeSchema>;

const columnSchema = z.object({ name: identifier(), type: columnTypeSchema });
export type Column = z.infer<typeof columnSchema>;

/** Columns every dimension table gets in addition to the spec's columns (see core/sql/dimension-layout.ts). */
const DIMENSION_SYSTEM_COLUMNS = [
  'surrogate_key',
  'valid_from',
  'valid_to',
  'is_current',
  'is_deleted',
  'row_hash',
  'batch_id',
  'closed_batch_id',
] as const;

/**
 * Delete policies:
 * - `close`: a delete ends the current version (valid_to = the delete's time, is_current = false); the
 *   key then has no current row, and its history has a gap until the key comes back.
 * - `tombstone`: a delete ends the current version and opens a version flagged is_deleted (carrying the
 *   last known attribute values), which stays current until the key comes back.
 */
const deletePolicySchema = z.enum(['close', 'tombstone'], {
  error: 'must be "close" (end the current row) or "tombstone" (end it and add an is_deleted version)',
});

/**
 * Late-arriving changes: a change whose business time (orderBy) is not newer than the newest change
 * already applied to its key (the key's watermark) is never applied, because applying it would rewrite
 * history the warehouse has already published. If the key's history already shows exactly what the
 * change says (same tracked values at that time, or no live version for a delete) it is a replay and is
 * counted as such; otherwise it is late, and:
 * - `ignore`: it is skipped and counted (changes_late in the batch statistics);
 * - `quarantine`: it is skipped, counted, and copied (once) into `<table>_late_changes` with the batch id
 *   and logical date, so nothing is lost and someone can decide what to do with it.
 */
const lateArrivingPolicySchema = z.enum(['ignore', 'quarantine'], {
  error: 'must be "ignore" (skip and count) or "quarantine" (skip, count and keep in <table>_late_changes)',
});

function duplicates(names: readonly string[]): string[] {
  return [...new Set(names.filter((name, index) => names.indexOf(name) !== index))];
}

/**
 * An SCD2 dimension merged from change records (DMS-style: one row per change with an operation column).
 *
 * - `columns`: every column the dimension keeps, business key included, in the order of the change
 *   files (Redshift COPY maps Parquet columns by position; see `stagingColumns` in core/sql/dimension-layout.ts).
 * - `businessKey`: the columns identifying an entity (a subset of `columns`, never NULL in a valid change).
 * - `tracked`: non-key columns whose change opens a new version. Every other non-key column is type 1:
 *   a change that leaves the tracked values as they are (a no-op update) overwrites them on the version
 *   it hits (the current one) and opens nothing.
 * - `orderBy`: the change's business time (a timestamp; becomes valid_from). It may be one of `columns`
 *   (then it is also kept as a type-1 attribute) or a staging-only column.
 * - `operationColumn` ('I' | 'U' | 'D'; I and U are both upserts) and `sequenceColumn` (tie-breaker
 *   among changes of one key with the same orderBy: the highest wins) are staging-only columns.
 */
export const dimensionSpecSchema = z
  .object({
    table: identifier(MAX_TABLE_NAME_LENGTH),
    schema: identifier(),
    businessKey: z.array(identifier()).min(1, 'must name at least one column of `columns`'),
    columns: z.array(columnSchema).min(1, 'must list the dimension columns, business key included'),
    tracked: z.array(identifier()),
    orderBy: identifier(),
    operationColumn: identifier().default('_op'),
    sequenceColumn: identifier().default('_commit_ts'),
    sequenceColumnType: columnTypeSchema.default('timestamp'),
    deletePolicy: deletePolicySchema,
    lateArriving: lateArrivingPolicySchema.default('ignore'),
  })
  .superRefine((spec, ctx) => {
    const names = spec.columns.map((column) => column.name);
    const nonKey = new Set(names.filter((name) => !spec.businessKey.includes(name)));
    for (const name of duplicates(names)) {
      ctx.addIssue({ code: 'custom', path: ['columns'], message: `lists "${name}" twice; keep one` });
    }
    for (const name of names.filter((n) => (DIMENSION_SYSTEM_COLUMNS as readonly string[]).includes(n))) {
      ctx.addIssue({
        code: 'custom',
        path: ['columns'],
        message: `"${name}" is a column the loader adds (${DIMENSION_SYSTEM_COLUMNS.join(', ')}); rename it`,
      });
    }
    for (const name of duplicates(spec.businessKey)) {
      ctx.addIssue({ code: 'custom', path: ['businessKey'], message: `lists "${name}" twice; keep one` });
    }
    spec.businessKey.forEach((name, index) => {
      if (!names.includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['businessKey', index],
          message: `"${name}" is not in \`columns\`; add it there with its type`,
        });
      }
    });
    for (const name of duplicates(spec.tracked)) {
      ctx.addIssue({ code: 'custom', path: ['tracked'], message: `lists "${name}" twice; keep one` });
    }
    spec.tracked.forEach((name, index) => {
      if (!nonKey.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tracked', index],
          message: `"${name}" must be a non-key column of \`columns\` (business key columns never change)`,
        });
      }
    });
    const orderByColumn = spec.columns.find((column) => column.name === spec.orderBy);
    if (orderByColumn && orderByColumn.type !== 'timestamp') {
      ctx.addIssue({
        code: 'custom',
        path: ['orderBy'],
        message: `"${spec.orderBy}" has type ${orderByColumn.type}; the ordering column must be a timestamp`,
      });
    }
    if (spec.businessKey.includes(spec.orderBy)) {
      ctx.addIssue({ code: 'custom', path: ['orderBy'], message: 'must not be a business key column' });
    }
    for (const field of ['operationColumn', 'sequenceColumn'] as const) {
      const name = spec[field];
      if (names.includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `"${name}" is a staging-only column; remove it from \`columns\``,
        });
      }
      if (name === spec.orderBy) {
        ctx.addIssue({ code: 'custom', path: [field], message: `must differ from orderBy ("${name}")` });
      }
    }
    if (spec.operationColumn === spec.sequenceColumn) {
      ctx.addIssue({
        code: 'custom',
        path: ['sequenceColumn'],
        message: 'must differ from operationColumn',
      });
    }
  });
export type DimensionSpec = z.output<typeof dimensionSpecSchema>;
export type DimensionSpecInput = z.input<typeof dimensionSpecSchema>;

/**
 * A fact table loaded one logical date at a time: each load replaces the rows of its date.
 * - `columns`: the columns of the fact files, in file order (Redshift COPY maps Parquet by position).
 * - `partitionColumn`: a DATE column the loader adds and sets to the batch's logical date.
 * - `uniqueKey`: optional dedupe inside a batch: per key, the row with the highest `latestBy` is kept.
 */
export const factLoadSpecSchema = z
  .object({
    table: identifier(MAX_TABLE_NAME_LENGTH),
    schema: identifier(),
    columns: z.array(columnSchema).min(1, 'must list the fact columns'),
    partitionColumn: identifier(),
    uniqueKey: z
      .object({
        columns: z.array(identifier()).min(1, 'must name at least one column of `columns`'),
        latestBy: identifier(),
      })
      .optional(),
  })
  .superRefine((spec, ctx) => {
    const names = spec.columns.map((column) => column.name);
    for (const name of duplicates(names)) {
      ctx.addIssue({ code: 'custom', path: ['columns'], message: `lists "${name}" twice; keep one` });
    }
    if (names.includes(spec.partitionColumn)) {
      ctx.addIssue({
        code: 'custom',
        path: ['partitionColumn'],
        message: `"${spec.partitionColumn}" is added by the loader (the logical date); remove it from \`columns\``,
      });
    }
    spec.uniqueKey?.columns.forEach((name, index) => {
      if (!names.includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['uniqueKey', 'columns', index],
          message: `"${name}" is not in \`columns\``,
        });
      }
    });
    if (spec.uniqueKey && !names.includes(spec.uniqueKey.latestBy)) {
      ctx.addIssue({
        code: 'custom',
        path: ['uniqueKey', 'latestBy'],
        message: `"${spec.uniqueKey.latestBy}" is not in \`columns\``,
      });
    }
  });
export type FactLoadSpec = z.output<typeof factLoadSpecSchema>;
export type FactLoadSpecInput = z.input<typeof factLoadSpecSchema>;

function isCalendarDate(value: string): boolean {
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/**
 * One load of one table for one logical date. `batchId` identifies the load in the ledger: a replay with
 * the same (table, logicalDate, batchId) is a no-op. `sourceUri` is the prefix holding the batch's
 * Parquet files: an s3:// URI, or an absolute local path (DuckDB tests); on Redshift the COPY reads
 * the files `manifestUri` lists.
 */
const batchIdentitySchema = z.object({
  logicalDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD')
    .refine(isCalendarDate, 'is not a calendar date; use a real YYYY-MM-DD date'),
  batchId: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._:/@=+-]{0,127}$/,
      'must be 1-128 characters of letters, digits and . _ : / @ = + - (e.g. the stage run key)',
    ),
});
export type BatchIdentity = z.infer<typeof batchIdentitySchema>;

const loadBatchSchema = batchIdentitySchema.extend({
  sourceUri: z
    .string()
    .regex(
      /^(s3:\/\/[a-z0-9][a-z0-9.-]*\/|\/)[^'\\\u0000-\u001f]*\/$/,
      'must be an s3://bucket/prefix/ URI (or an absolute local path) ending in "/", without quotes, backslashes or control characters',
    ),
  /**
   * Redshift: the COPY manifest naming the batch's part files (written by the load activity before the
   * statement runs). COPY from a prefix would read every object under it, Spark's `_SUCCESS` too.
   */
  manifestUri: z
    .string()
    .regex(
      /^s3:\/\/[a-z0-9][a-z0-9.-]*\/[^'\\\u0000-\u001f]*[^/]$/,
      'must be an s3://bucket/key URI of an object, without quotes, backslashes or control characters',
    )
    .optional(),
});
export type LoadBatch = z.infer<typeof loadBatchSchema>;

export class WarehouseSpecError extends Error {
  override readonly name = 'WarehouseSpecError';
}

function parseWith<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new WarehouseSpecError(`invalid ${what}:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

export function parseDimensionSpec(value: unknown): DimensionSpec {
  return parseWith(dimensionSpecSchema, value, 'dimension spec');
}

export function parseFactLoadSpec(value: unknown): FactLoadSpec {
  return parseWith(factLoadSpecSchema, value, 'fact load spec');
}

export function parseLoadBatch(value: unknown): LoadBatch {
  return parseWith(loadBatchSchema, value, 'load batch');
}

export function parseBatchIdentity(value: unknown): BatchIdentity {
  return parseWith(batchIdentitySchema, value, 'batch identity');
}

import type { ColumnType } from '../warehouse-spec';
import { parseColumnType } from './column-types';
import { type Dialect, type StagingColumn, quoteIdentifier, quoteLiteral } from './dialect';

/** Redshift's VARCHAR without a length is VARCHAR(256); an unbounded portable varchar gets the maximum. */
const REDSHIFT_MAX_VARCHAR = 'VARCHAR(65535)';
const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/;

/**
 * A portable `varchar(n)` holds n characters. Redshift's VARCHAR(n) counts BYTES and stores UTF-8, up to
 * four bytes a character (https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html), and
 * COPY from Parquet cannot truncate (TRUNCATECOLUMNS is not among the parameters columnar COPY takes,
 * https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-columnar.html): a value of n
 * non-ASCII characters would fail the load. So the column gets 4n bytes (at most 65535).
 */
function redshiftVarcharOf(characters: number): string {
  return `VARCHAR(${Math.min(4 * characters, 65535)})`;
}

export interface RedshiftDialectOptions {
  /**
   * Role COPY assumes to read the staging files: a role ARN associated with the cluster / workgroup,
   * or "default" for the default IAM role.
   */
  iamRole: string;
}

export function redshiftDialect(options: RedshiftDialectOptions): Dialect {
  const { iamRole } = options;
  if (iamRole !== 'default' && !IAM_ROLE_ARN.test(iamRole)) {
    throw new Error(
      `redshiftDialect: iamRole must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>) or "default"; got ${JSON.stringify(iamRole)}`,
    );
  }
  return {
    name: 'redshift',
    ident: quoteIdentifier,
    literal: quoteLiteral,
    columnType(type: ColumnType): string {
      const parsed = parseColumnType(type);
      switch (parsed.kind) {
        case 'varchar':
          return REDSHIFT_MAX_VARCHAR;
        case 'varchar-n':
          return redshiftVarcharOf(parsed.length);
        case 'decimal':
          return `DECIMAL(${parsed.precision},${parsed.scale})`;
        case 'double':
          return 'DOUBLE PRECISION';
        default:
          return parsed.kind.toUpperCase();
      }
    },
    textOf(expr: string, type: ColumnType): string {
      const kind = parseColumnType(type).kind;
      if (kind === 'varchar' || kind === 'varchar-n') return expr;
      // Redshift cannot CAST a BOOLEAN to a character type.
      if (kind === 'boolean') return `CASE WHEN ${expr} THEN 'true' WHEN NOT ${expr} THEN 'false' END`;
      return `CAST(${expr} AS ${REDSHIFT_MAX_VARCHAR})`;
    },
    // Redshift has no IS [NOT] DISTINCT FROM; COALESCE keeps the result two-valued (never NULL).
    nullSafeEqual: (a, b) => `(COALESCE(${a} = ${b}, FALSE) OR (${a} IS NULL AND ${b} IS NULL))`,
    currentUtcTimestamp: () => 'GETDATE()',
    // One statement for all: a transaction is one BatchExecuteStatement of at most 40 statements
    // (DROP TABLE name [, ...]: https://docs.aws.amazon.com/redshift/latest/dg/r_DROP_TABLE.html).
    dropTablesSql: (tables) => [`DROP TABLE ${tables.join(', ')}`],
    // COPY maps Parquet columns by position and cannot be guarded by a WHERE clause; it only fills the
    // session's temp table, and every statement that reads it is guarded. It reads the part files the
    // manifest names: COPY from a prefix reads EVERY object under it, Spark's `_SUCCESS` marker too
    // (https://docs.aws.amazon.com/redshift/latest/dg/loading-data-files-using-manifest.html).
    loadStagingSql: (
      stagingTable: string,
      _columns: readonly StagingColumn[],
      sourceUri: string,
      _guard: string,
      manifestUri?: string,
    ) => {
      if (!manifestUri) {
        throw new Error(
          `redshiftDialect: the load of ${sourceUri} has no manifestUri; Redshift COPY from a prefix reads every object ` +
            'under it (Spark writes _SUCCESS there), so loads name their part files in a COPY manifest',
        );
      }
      return `COPY ${stagingTable} FROM ${quoteLiteral(manifestUri)} IAM_ROLE ${
        iamRole === 'default' ? 'default' : quoteLiteral(iamRole)
      } FORMAT AS PARQUET MANIFEST`;
    },
  };
}

import { describe, expect, it } from 'vitest';
import {
  duckdbDialect,
  factLoadSql,
  redshiftDialect,
  scd2MergeSql,
  scd2MergeStatements,
  stagingColumns,
} from '../../core/sql';
import { quoteLiteral } from '../../core/sql/dialect';
import { parseDimensionSpec } from '../../core/warehouse-spec';
import { TEST_IAM_ROLE } from '../support/sql/engines';
import { customerSpec } from '../support/sql/scd2-fixtures';

/**
 * What cannot run in these tests: Redshift's COPY (the executed tests replace it with INSERTs) and the
 * exact shape of the statements handed to BatchExecuteStatement.
 */
const spec = customerSpec('analytics');
const batch = {
  logicalDate: '2024-01-01',
  batchId: 'b-1',
  sourceUri: 's3://lake/silver/customers/dt=2024-01-01/',
  manifestUri: 's3://lake/_medallion/copy-manifests/shop/2024-01-01/scd2_dim_customer/b-1.manifest',
};

describe('staging', () => {
  it('Redshift COPYs the part files its manifest names (not the prefix, which holds _SUCCESS) with the given role', () => {
    const { createStaging, loadStaging } = scd2MergeStatements(
      spec,
      batch,
      redshiftDialect({ iamRole: TEST_IAM_ROLE }),
    );
    expect(createStaging[0]).toEqual(
      'CREATE TEMP TABLE "_md_stg1_dim_customer" ("customer_id" BIGINT, "email" VARCHAR(65535), "full_name" VARCHAR(65535), "tier" VARCHAR(65535), "updated_at" TIMESTAMP, "_op" VARCHAR(64), "_commit_ts" TIMESTAMP)',
    );
    expect(loadStaging).toEqual([
      `COPY "_md_stg1_dim_customer" FROM '${batch.manifestUri}' IAM_ROLE '${TEST_IAM_ROLE}' FORMAT AS PARQUET MANIFEST`,
    ]);
    expect(
      scd2MergeStatements(spec, batch, redshiftDialect({ iamRole: 'default' })).loadStaging[0],
    ).toContain('IAM_ROLE default FORMAT AS PARQUET MANIFEST');
    // COPY from a prefix would read every object under it (Spark writes _SUCCESS there): refused.
    expect(() =>
      scd2MergeStatements(
        spec,
        { ...batch, manifestUri: undefined },
        redshiftDialect({ iamRole: TEST_IAM_ROLE }),
      ),
    ).toThrow(/no manifestUri/);
  });

  it('sizes a varchar(n) column in BYTES on Redshift: 4n, so n multibyte characters fit', () => {
    // Redshift VARCHAR(n) counts bytes (https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html).
    const dialect = redshiftDialect({ iamRole: TEST_IAM_ROLE });
    expect(dialect.columnType('varchar(16)')).toBe('VARCHAR(64)');
    expect(dialect.columnType('varchar(20000)')).toBe('VARCHAR(65535)');
    expect(duckdbDialect().columnType('varchar(16)')).toBe('VARCHAR(16)');
  });

  it('DuckDB reads <sourceUri>*.parquet by column name, guarded by the ledger', () => {
    const [load] = scd2MergeStatements(spec, batch, duckdbDialect()).loadStaging;
    expect(load).toContain(
      `FROM read_parquet('s3://lake/silver/customers/dt=2024-01-01/*.parquet', union_by_name = true)`,
    );
    // The members table lists the members whose ledger row is missing.
    expect(load).toContain('WHERE EXISTS (SELECT 1 FROM "_md_mem_dim_customer" WHERE "_md_member" = 1)');
  });

  it('a catch-up merge stages each member date from its own files: one table and one COPY each', () => {
    const second = {
      logicalDate: '2024-01-02',
      batchId: 'b-2',
      sourceUri: 's3://lake/silver/customers/dt=2024-01-02/',
      manifestUri: 's3://lake/_medallion/copy-manifests/shop/2024-01-02/scd2_dim_customer/b-2.manifest',
    };
    const { createStaging, loadStaging, merge } = scd2MergeStatements(
      spec,
      [batch, second],
      redshiftDialect({ iamRole: TEST_IAM_ROLE }),
    );
    expect(createStaging.map((sql) => /^CREATE TEMP TABLE "(\w+)"/.exec(sql)?.[1])).toEqual([
      '_md_stg1_dim_customer',
      '_md_stg2_dim_customer',
      '_md_mem_dim_customer',
    ]);
    expect(loadStaging).toEqual([
      `COPY "_md_stg1_dim_customer" FROM '${batch.manifestUri}' IAM_ROLE '${TEST_IAM_ROLE}' FORMAT AS PARQUET MANIFEST`,
      `COPY "_md_stg2_dim_customer" FROM '${second.manifestUri}' IAM_ROLE '${TEST_IAM_ROLE}' FORMAT AS PARQUET MANIFEST`,
    ]);
    // Both members' rows, each with its member number; one ledger row per member.
    expect(createStaging[2]).toContain(`SELECT 2 AS "_md_member", CAST('2024-01-02' AS DATE)`);
    expect(merge.at(-1)).toBe(
      'DROP TABLE "_md_ver_dim_customer", "_md_evt_dim_customer", "_md_chg_dim_customer", "_md_mem_dim_customer", "_md_stg1_dim_customer", "_md_stg2_dim_customer"',
    );
  });

  it('refuses a batch without members or with members out of date order', () => {
    const dialect = duckdbDialect();
    expect(() => scd2MergeStatements(spec, [], dialect)).toThrow(/no members; pass at least one/);
    expect(() => scd2MergeStatements(spec, [batch, batch], dialect)).toThrow(
      /member 1 \(2024-01-01\) is not after member 0 \(2024-01-01\); list the members in date order/,
    );
  });

  it('orders staging columns as the change files must hold them (COPY maps Parquet by position)', () => {
    expect(
      stagingColumns(parseDimensionSpec({ ...spec, columns: spec.columns.slice(0, 4) })).map((c) => c.name),
    ).toEqual(['customer_id', 'email', 'full_name', 'tier', 'updated_at', '_op', '_commit_ts']);
  });
});

describe('statements', () => {
  it.each([
    ['redshift', redshiftDialect({ iamRole: TEST_IAM_ROLE })],
    ['duckdb', duckdbDialect()],
  ])(
    '%s: every statement but the staging table, its load and clean-up is guarded by the ledger row',
    (_name, dialect) => {
      const merge = scd2MergeSql(spec, batch, dialect);
      const members = merge.filter((sql) => sql.startsWith('CREATE TEMP TABLE "_md_mem_'));
      expect(members).toHaveLength(1);
      expect(members[0]).toContain('WHERE NOT EXISTS (SELECT 1 FROM "analytics"."medallion_load_ledger"');
      expect(
        merge.filter(
          (sql) =>
            !sql.includes('EXISTS (SELECT 1 FROM "_md_mem_dim_customer"') &&
            !/^(CREATE TEMP TABLE "_md_(stg1|mem)_|DROP TABLE|COPY)/.test(sql),
        ),
      ).toEqual([]);
      for (const statements of [
        factLoadSql(
          { table: 'f', schema: 'a', columns: [{ name: 'x', type: 'bigint' }], partitionColumn: 'dt' },
          batch,
          dialect,
        ),
      ]) {
        const unguarded = statements.filter(
          (sql) =>
            !sql.includes('NOT EXISTS (SELECT 1 FROM') &&
            !/^(CREATE TEMP TABLE "_md_stg_|DROP TABLE|COPY)/.test(sql),
        );
        expect(unguarded).toEqual([]);
        expect(statements.join('\n')).not.toMatch(/\bMERGE\b|\bBEGIN\b|\bCOMMIT\b/);
      }
    },
  );
});

describe('literals and roles', () => {
  it('escapes quotes and refuses backslashes and control characters', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(() => quoteLiteral('a\\b')).toThrow('backslashes and control characters');
    expect(() => quoteLiteral('a\nb')).toThrow('backslashes and control characters');
  });

  it('validates the COPY role', () => {
    expect(() => redshiftDialect({ iamRole: "arn:aws:iam::123456789012:role/x' --" })).toThrow(
      'iamRole must be an IAM role ARN',
    );
    expect(() => redshiftDialect({ iamRole: 'my-role' })).toThrow('iamRole must be an IAM role ARN');
  });
});

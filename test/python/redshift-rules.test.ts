import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDimensionMergeActivities } from '../../activities/plan-dimension-merge';
import { MAX_DIMENSION_MERGE_MEMBERS } from '../../core/activity-contracts';
import { addDays, dateRange } from '../../core/dates';
import { buildPlan } from '../../core/plan';
import { warehouseSql } from '../../core/warehouse-statements';
import { loadPipelines } from '../../pipelines/registry';
import { SQLGLOT_TOOL } from '../../local/python-tools';
import { awsTestEnvironment } from '../support/aws-test-environment';
import { pythonForTier, runPythonJson } from '../support/python/python-tool';

/**
 * The rules every statement core/sql generates for Redshift must follow. PGlite and DuckDB execute the
 * SQL in the other tests but accept things Redshift refuses, so each statement is parsed with sqlglot's
 * Redshift dialect and checked by `redshift/check_redshift_sql.py`, rule by rule. sqlglot (30.30.0,
 * pinned in local/python-tools.ts) rather than npm's node-sql-parser (5.4.0, database 'redshift'):
 * node-sql-parser rejects 14 of the 64 statements shop generates (CREATE TEMP TABLE, COPY), which are
 * valid Redshift; sqlglot parses all of them into typed trees, COPY included.
 */
interface Rule {
  id: string;
  rule: string;
  doc: string;
  /** A statement (or batch) that breaks the rule: the checker must flag it. */
  counterExample: string[];
}

const DOCS = 'https://docs.aws.amazon.com/redshift/latest/dg';
/** botocore redshift-data 2019-12-20 service-2.json: shape SqlList {"min": 1, "max": 40}. */
const MAX_BATCH_STATEMENTS = 40;

export const REDSHIFT_RULES: Rule[] = [
  {
    id: 'parses',
    rule: 'each string is one statement the Redshift grammar parses (no catch-all Command)',
    doc: `${DOCS}/c_SQL_commands.html`,
    counterExample: ['INSERT INTO t SELECT FROM WHERE'],
  },
  {
    id: 'statement-kinds',
    rule: 'only CREATE SCHEMA/TABLE, COPY, INSERT, UPDATE, DELETE, DROP: BatchExecuteStatement runs the batch as one transaction, so no BEGIN/COMMIT and nothing that cannot run in a transaction block (VACUUM, CREATE DATABASE, external tables)',
    doc:
      'https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_BatchExecuteStatement.html; ' +
      `${DOCS}/r_VACUUM_command.html`,
    counterExample: ['COMMIT', 'VACUUM "analytics"."dim_customer"'],
  },
  {
    id: 'batch-size',
    rule: `at most ${MAX_BATCH_STATEMENTS} statements per BatchExecuteStatement (Sqls)`,
    doc: 'https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_BatchExecuteStatement.html (botocore SqlList max 40)',
    counterExample: Array.from(
      { length: MAX_BATCH_STATEMENTS + 1 },
      (_, i) => `DELETE FROM t WHERE id = ${i}`,
    ),
  },
  {
    id: 'no-merge',
    rule: 'no MERGE: it fails when a target row matches more than one source row; loads deduplicate in staging and delete-insert',
    doc: `${DOCS}/r_MERGE.html`,
    counterExample: [
      'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v)',
    ],
  },
  {
    id: 'no-is-distinct-from',
    rule: 'no IS [NOT] DISTINCT FROM (not a Redshift comparison condition); NULL-safe equality is spelled out',
    doc: `${DOCS}/r_comparison_condition.html`,
    counterExample: ['DELETE FROM t WHERE a IS NOT DISTINCT FROM b'],
  },
  {
    id: 'correlated-subquery',
    rule: 'correlated subqueries only in patterns Redshift decorrelates: correlation by equality conjuncts in the subquery WHERE, no skip-level references, none in a JOIN ON, no window function, no IN with GROUP BY, no NOT IN (null-sensitive)',
    doc: `${DOCS}/r_correlated_subqueries.html`,
    counterExample: [
      'INSERT INTO l SELECT c.k FROM c WHERE NOT EXISTS (SELECT 1 FROM l x WHERE x.k = c.k AND (COALESCE(x.s = c.s, FALSE) OR (x.s IS NULL AND c.s IS NULL)))',
      'SELECT a.k FROM a WHERE EXISTS (SELECT 1 FROM b WHERE EXISTS (SELECT 1 FROM c WHERE c.k = a.k))',
      'SELECT a.k FROM a WHERE a.k NOT IN (SELECT b.k FROM b WHERE b.j = a.j)',
      'SELECT a.k FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.k = a.k AND ROW_NUMBER() OVER (ORDER BY b.j) = 1)',
    ],
  },
  {
    id: 'clock',
    rule: 'the current time is GETDATE() (UTC, compute nodes); NOW(), CURRENT_TIMESTAMP, LOCALTIMESTAMP, TIMEOFDAY() are leader-node-only',
    doc: `${DOCS}/c_SQL_functions_leader_node_only.html; ${DOCS}/r_GETDATE.html`,
    counterExample: ['UPDATE t SET loaded_at = NOW()', 'UPDATE t SET loaded_at = CURRENT_TIMESTAMP'],
  },
  {
    id: 'window-frame',
    rule: 'an aggregate window function with ORDER BY has an explicit frame clause',
    doc: `${DOCS}/r_Window_function_synopsis.html`,
    counterExample: ['INSERT INTO r SELECT SUM(x) OVER (PARTITION BY k ORDER BY ts) FROM t'],
  },
  {
    id: 'no-aggregate-filter',
    rule: "no FILTER (WHERE ...) on aggregates (not in Redshift's aggregate syntax); use CASE inside the aggregate",
    doc: `${DOCS}/c_Aggregate_Functions.html`,
    counterExample: ['INSERT INTO r SELECT COUNT(*) FILTER (WHERE x > 0) FROM t'],
  },
  {
    id: 'no-upsert-returning',
    rule: 'INSERT has no ON CONFLICT and no RETURNING',
    doc: `${DOCS}/r_INSERT_30.html`,
    counterExample: ['INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO NOTHING'],
  },
  {
    id: 'types',
    rule: 'column types are Redshift types: VARCHAR(n <= 65535) with a length (bare VARCHAR is VARCHAR(256)), CHAR(n <= 4096), DECIMAL(p <= 38, s), SMALLINT/INTEGER/BIGINT, REAL/DOUBLE PRECISION, BOOLEAN, DATE, TIMESTAMP, TIMESTAMPTZ',
    doc: `${DOCS}/c_Supported_data_types.html; ${DOCS}/r_Character_types.html`,
    counterExample: ['CREATE TABLE t (a VARCHAR, b VARCHAR(70000), c JSONB)'],
  },
  {
    id: 'identifiers',
    rule: 'identifiers are at most 127 bytes',
    doc: `${DOCS}/r_names.html`,
    counterExample: [`CREATE TABLE "${'x'.repeat(128)}" (a BIGINT)`],
  },
  {
    id: 'literals',
    rule: 'a string literal reads the same on Redshift as on PostgreSQL and DuckDB: no backslash, which Redshift takes as an escape',
    doc: `${DOCS}/c_redshift-and-postgres-sql.html`,
    counterExample: ["DELETE FROM t WHERE path = 'a\\b'"],
  },
  {
    id: 'copy-by-position',
    rule: 'COPY ... FORMAT AS PARQUET with IAM_ROLE and no column list, into a table the batch created with exactly the columns of the Parquet files in their order (COPY from columnar files maps by position)',
    doc: `${DOCS}/copy-usage_notes-copy-from-columnar.html; ${DOCS}/r_COPY.html`,
    counterExample: [
      'CREATE TEMP TABLE "stg" ("b" BIGINT, "a" BIGINT)',
      `COPY "stg" FROM 's3://lake/x/' IAM_ROLE default FORMAT AS PARQUET`,
    ],
  },
];

interface Violation {
  batch: string;
  statement: number;
  rule: string;
  detail: string;
}
interface Batch {
  statements: string[];
  /** Columns, in order, of the Parquet files the batch's COPY reads. */
  fileColumns?: string[];
}

const python = pythonForTier(SQLGLOT_TOOL);
const checker = join(__dirname, '../support/python/check_redshift_sql.py');

/** Parser-checked rules, plus the one that is about the batch, not a statement. */
function check(batches: Record<string, Batch>): Violation[] {
  const { violations } = runPythonJson<{ violations: Violation[] }>(python!, checker, { batches });
  for (const [name, batch] of Object.entries(batches)) {
    if (batch.statements.length > MAX_BATCH_STATEMENTS) {
      violations.push({
        batch: name,
        statement: -1,
        rule: 'batch-size',
        detail: `${batch.statements.length} statements`,
      });
    }
  }
  return violations;
}

const shop = loadPipelines().shop!;

/** Columns, in order, that the job writing `layer/table` puts in its files (its SELECT, Spark dialect). */
function fileColumnsOf(layer: 'silver' | 'gold', table: string): string[] {
  const stage = shop.stages.find(
    (candidate) =>
      (candidate.kind === 'glue' || candidate.kind === 'emr-serverless') &&
      candidate.job.output.layer === layer &&
      candidate.job.output.table === table,
  );
  if (!stage || (stage.kind !== 'glue' && stage.kind !== 'emr-serverless'))
    throw new Error(`no job writes ${layer}/${table}`);
  const { columns } = runPythonJson<{ columns: string[] }>(python!, checker, {
    jobSql: { sql: stage.job.sql, dropped: ['_quarantine_reason'] },
  });
  return columns;
}

/** Every Redshift batch shop's plan generates for `logicalDate`, keyed by stage id. */
function shopRedshiftBatches(logicalDate: string, generation: number): Record<string, Batch> {
  const plan = buildPlan({
    spec: shop,
    env: awsTestEnvironment,
    sql: warehouseSql,
    logicalDate,
    workflowId: `shop/${logicalDate}`,
    generation,
  });
  const batches: Record<string, Batch> = {};
  for (const stage of plan.stages) {
    if (stage.input.kind !== 'redshift') continue;
    const spec = shop.stages.find((candidate) => candidate.id === stage.id)!;
    if (spec.kind !== 'scd2' && spec.kind !== 'load') throw new Error(`${stage.id} is not a warehouse stage`);
    batches[`${logicalDate}/${stage.id}`] = {
      statements: stage.input.sqls,
      fileColumns: fileColumnsOf(spec.kind === 'scd2' ? 'silver' : 'gold', spec.sourceTable),
    };
  }
  return batches;
}

describe.skipIf(!python)('Redshift rules (sqlglot Redshift dialect)', () => {
  it.each(REDSHIFT_RULES.map((rule) => [rule.id, rule] as const))(
    'the checker flags a counter-example of %s',
    (_id, rule) => {
      const violations = check({
        [rule.id]: { statements: rule.counterExample, fileColumns: ['a', 'b'] },
      });
      expect(violations.filter((violation) => violation.rule === rule.id)).not.toEqual([]);
      expect(rule.doc).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
    },
  );

  it("every statement of shop's warehouse stages follows every rule (two days, a rerun generation)", () => {
    const batches = { ...shopRedshiftBatches('2026-03-29', 0), ...shopRedshiftBatches('2026-07-01', 2) };
    expect(Object.keys(batches)).toHaveLength(8);
    const statements = Object.values(batches).reduce((sum, batch) => sum + batch.statements.length, 0);
    expect(statements).toBeGreaterThan(100);
    expect(check(batches)).toEqual([]);
  });

  it('every statement of catch-up merges of the most dates one merge takes follows every rule', async () => {
    const merges = createDimensionMergeActivities({
      env: awsTestEnvironment,
      pipelines: { shop },
      sql: warehouseSql,
    });
    const dates = dateRange('2026-03-20', addDays('2026-03-20', MAX_DIMENSION_MERGE_MEMBERS - 1));
    const batches: Record<string, Batch> = {};
    for (const stage of shop.stages) {
      if (stage.kind !== 'scd2') continue;
      const members = dates.map((date) => {
        const planned = buildPlan({
          spec: shop,
          env: awsTestEnvironment,
          sql: warehouseSql,
          logicalDate: date,
          workflowId: `shop/${date}`,
          generation: 0,
        }).stages.find((candidate) => candidate.id === stage.id)!;
        return { logicalDate: date, identity: planned.input.identity };
      });
      const input = await merges.planDimensionMerge({ pipeline: 'shop', stageId: stage.id, members });
      batches[`catch-up/${stage.id}`] = {
        statements: input.sqls,
        fileColumns: fileColumnsOf('silver', stage.sourceTable),
      };
      expect(input.sqls.filter((sql) => sql.startsWith('COPY '))).toHaveLength(MAX_DIMENSION_MERGE_MEMBERS);
    }
    expect(Object.keys(batches)).toHaveLength(2);
    expect(check(batches)).toEqual([]);
  });

  it('copies by position: the staging tables list the columns the silver and gold jobs write, in order', () => {
    expect(fileColumnsOf('silver', 'customers')).toEqual([
      'customer_id',
      'email',
      'full_name',
      'tier',
      'country',
      'updated_at',
      '_op',
      '_commit_ts',
    ]);
    expect(fileColumnsOf('gold', 'daily_revenue')).toEqual(['category', 'orders', 'units', 'revenue_cents']);
  });
});

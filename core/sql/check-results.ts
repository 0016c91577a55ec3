/**
 * The warehouse record of check outcomes: one row per (pipeline, logical date, stage, check), the
 * latest evaluation (a rerun replaces the date's rows of the stages it evaluated). `medallion checks`
 * reads it; warehouse stages read their own earlier row counts from it for trailing bounds.
 */
import type { CheckOutcome } from '../check-outcome';
import { type Dialect, qualified } from './dialect';
import { dateLiteral } from './ledger';

const CHECK_RESULTS_TABLE = 'medallion_check_results';

function checkResultsTable(dialect: Dialect, schema: string): string {
  return qualified(dialect, schema, CHECK_RESULTS_TABLE);
}

export function createCheckResultsSql(dialect: Dialect, schema: string): string[] {
  const q = (name: string) => dialect.ident(name);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${q(schema)}`,
    `CREATE TABLE IF NOT EXISTS ${checkResultsTable(dialect, schema)} (${q('pipeline')} VARCHAR(64) NOT NULL, ${q(
      'logical_date',
    )} DATE NOT NULL, ${q('stage_id')} VARCHAR(64) NOT NULL, ${q('check_name')} VARCHAR(64) NOT NULL, ${q(
      'severity',
    )} VARCHAR(8) NOT NULL, ${q('passed')} BOOLEAN NOT NULL, ${q('measured')} VARCHAR(256), ${q(
      'bound',
    )} VARCHAR(1024) NOT NULL, ${q('message')} VARCHAR(4096) NOT NULL, ${q('evaluated_at')} TIMESTAMP NOT NULL)`,
  ];
}

/**
 * Replaces the date's rows of `stageIds` with `outcomes` (statements for ONE transaction). A stage
 * evaluated again with no outcome left (its checks removed) loses its old rows too.
 */
export function recordCheckOutcomesSql(
  dialect: Dialect,
  schema: string,
  pipeline: string,
  logicalDate: string,
  stageIds: readonly string[],
  outcomes: readonly CheckOutcome[],
): string[] {
  const q = (name: string) => dialect.ident(name);
  const l = (value: string) => dialect.literal(value.slice(0, 1000));
  const table = checkResultsTable(dialect, schema);
  const statements = [...createCheckResultsSql(dialect, schema)];
  if (stageIds.length > 0) {
    statements.push(
      `DELETE FROM ${table} WHERE ${q('pipeline')} = ${l(pipeline)} AND ${q('logical_date')} = ${dateLiteral(
        dialect,
        logicalDate,
      )} AND ${q('stage_id')} IN (${stageIds.map(l).join(', ')})`,
    );
  }
  if (outcomes.length > 0) {
    const rows = outcomes.map(
      (o) =>
        `(${l(pipeline)}, ${dateLiteral(dialect, logicalDate)}, ${l(o.stageId)}, ${l(o.check)}, ${l(o.severity)}, ${
          o.passed ? 'TRUE' : 'FALSE'
        }, ${o.measured === null ? 'NULL' : l(String(o.measured))}, ${l(o.bound)}, ${l(o.message)}, ${dialect.currentUtcTimestamp()})`,
    );
    statements.push(
      `INSERT INTO ${table} (${[
        'pipeline',
        'logical_date',
        'stage_id',
        'check_name',
        'severity',
        'passed',
        'measured',
        'bound',
        'message',
        'evaluated_at',
      ]
        .map(q)
        .join(', ')}) VALUES ${rows.join(', ')}`,
    );
  }
  return statements;
}

/** Earlier dates' measured value of one check (column `measured`, text), oldest dates excluded. */
export function trailingMeasurementsSql(
  dialect: Dialect,
  schema: string,
  key: { pipeline: string; stageId: string; check: string },
  fromDate: string,
  beforeDate: string,
): string {
  const q = (name: string) => dialect.ident(name);
  return `SELECT ${q('measured')} FROM ${checkResultsTable(dialect, schema)} WHERE ${q('pipeline')} = ${dialect.literal(
    key.pipeline,
  )} AND ${q('stage_id')} = ${dialect.literal(key.stageId)} AND ${q('check_name')} = ${dialect.literal(
    key.check,
  )} AND ${q('logical_date')} >= ${dateLiteral(dialect, fromDate)} AND ${q('logical_date')} < ${dateLiteral(
    dialect,
    beforeDate,
  )} AND ${q('measured')} IS NOT NULL`;
}

/** Failed checks over a range of dates, newest first (what `medallion checks` lists). */
export function checkFailuresSql(
  dialect: Dialect,
  schema: string,
  filter: { pipeline?: string; from: string; to: string; includeWarnings: boolean; includePassed?: boolean },
): string {
  const q = (name: string) => dialect.ident(name);
  const where = [
    `${q('logical_date')} >= ${dateLiteral(dialect, filter.from)}`,
    `${q('logical_date')} <= ${dateLiteral(dialect, filter.to)}`,
    ...(filter.pipeline ? [`${q('pipeline')} = ${dialect.literal(filter.pipeline)}`] : []),
    ...(filter.includePassed ? [] : [`NOT ${q('passed')}`]),
    ...(filter.includeWarnings ? [] : [`${q('severity')} = 'block'`]),
  ];
  return `SELECT ${[
    'pipeline',
    'logical_date',
    'stage_id',
    'check_name',
    'severity',
    'passed',
    'measured',
    'bound',
    'message',
  ]
    .map(q)
    .join(', ')} FROM ${checkResultsTable(dialect, schema)} WHERE ${where.join(' AND ')} ORDER BY ${q(
    'logical_date',
  )} DESC, ${q('pipeline')}, ${q('stage_id')}, ${q('check_name')}`;
}

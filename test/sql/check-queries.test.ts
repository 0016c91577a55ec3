import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateChecks } from '../../core/check-evaluation';
import { type QualityCheck, type QualityCheckInput, qualityCheckSchema } from '../../core/quality-checks';
import { checkMeasureSql, freshSinceUtc } from '../../core/sql/check-queries';
import {
  checkFailuresSql,
  recordCheckOutcomesSql,
  trailingMeasurementsSql,
} from '../../core/sql/check-results';
import { qualified } from '../../core/sql/dialect';
import type { StagingColumn } from '../../core/sql';
import {
  ENGINE_FACTORIES,
  type Row,
  type WarehouseEngine,
  insertRowsStatements,
} from '../support/sql/engines';
import { freshSchema } from '../support/sql/scd2-fixtures';

const ORDER_COLUMNS: StagingColumn[] = [
  { name: 'order_id', type: 'bigint' },
  { name: 'customer_id', type: 'bigint' },
  { name: 'total_cents', type: 'bigint' },
  { name: 'ordered_at', type: 'timestamp' },
];
const CUSTOMER_COLUMNS: StagingColumn[] = [{ name: 'customer_id', type: 'bigint' }];

/** A bad batch: order 2 twice, a NULL customer, customer 99 unknown, a negative total, last change 18:00. */
const ORDERS: Row[] = [
  { order_id: 1, customer_id: 10, total_cents: 500, ordered_at: '2026-12-06 08:00:00' },
  { order_id: 2, customer_id: 11, total_cents: 700, ordered_at: '2026-12-06 12:00:00' },
  { order_id: 2, customer_id: 11, total_cents: 700, ordered_at: '2026-12-06 12:00:00' },
  { order_id: 3, customer_id: null, total_cents: 100, ordered_at: '2026-12-06 15:00:00' },
  { order_id: 4, customer_id: 99, total_cents: -5, ordered_at: '2026-12-06 18:00:00' },
];
const DAY_END_UTC = '2026-12-06T23:00:00.000Z';

const checks: QualityCheck[] = (
  [
    { name: 'one_row_per_order', kind: 'unique', columns: ['order_id'] },
    { name: 'customer_known', kind: 'notNull', columns: ['customer_id'] },
    { name: 'customer_exists', kind: 'references', columns: ['customer_id'], table: 'ref.customers' },
    { name: 'totals_not_negative', kind: 'predicate', sql: 'total_cents >= 0' },
    { name: 'recent_within_6h', kind: 'freshness', column: 'ordered_at', within: '6h' },
    { name: 'recent_within_4h', kind: 'freshness', column: 'ordered_at', within: '4h' },
    { name: 'staged_rows', kind: 'rowCount', min: 1 },
  ] satisfies QualityCheckInput[]
).map((c) => qualityCheckSchema.parse(c));

const EXPECTED: Record<string, number> = {
  one_row_per_order: 1,
  customer_known: 1,
  customer_exists: 1,
  totals_not_negative: 1,
  recent_within_6h: 1,
  recent_within_4h: 0,
  staged_rows: 5,
};

/** The checks' measuring SQL and the check-results table, in the warehouse dialects on their engines. */
describe.each(ENGINE_FACTORIES)('check SQL: $name', ({ create }) => {
  let engine: WarehouseEngine;
  let schema: string;
  beforeAll(async () => {
    engine = await create();
    schema = freshSchema('chk');
    const d = engine.dialect;
    const table = (name: string, columns: StagingColumn[]) =>
      `CREATE TABLE ${qualified(d, schema, name)} (${columns.map((c) => `${d.ident(c.name)} ${d.columnType(c.type)}`).join(', ')})`;
    await engine.transaction([
      `CREATE SCHEMA ${d.ident(schema)}`,
      table('orders', ORDER_COLUMNS),
      table('customers', CUSTOMER_COLUMNS),
    ]);
    await engine.transaction([
      ...insertRowsStatements(d, 'orders', ORDER_COLUMNS, ORDERS).map((s) =>
        typeof s === 'string'
          ? s.replace(d.ident('orders'), qualified(d, schema, 'orders'))
          : { ...s, sql: s.sql.replace(d.ident('orders'), qualified(d, schema, 'orders')) },
      ),
      `INSERT INTO ${qualified(d, schema, 'customers')} VALUES (10), (11)`,
    ]);
  });
  afterAll(async () => {
    await engine.close();
  });

  async function measure(check: QualityCheck): Promise<number | null> {
    const d = engine.dialect;
    const sql = checkMeasureSql(check, {
      table: qualified(d, schema, 'orders'),
      ident: d.ident,
      referencedTable: () => qualified(d, schema, 'customers'),
      freshSince: (c) => freshSinceUtc(DAY_END_UTC, c.within === '6h' ? 6 * 3600_000 : 4 * 3600_000),
      countsRows: true,
    });
    const [row] = await engine.query(sql!);
    return row?.measured === null || row?.measured === undefined ? null : Number(row.measured);
  }

  it.each(Object.entries(EXPECTED))('%s measures %d on the bad batch', async (name, expected) => {
    expect(await measure(checks.find((c) => c.name === name)!)).toBe(expected);
  });

  it('records outcomes, replaces a rerun date, and lists failures and trailing counts', async () => {
    const d = engine.dialect;
    const measured: Record<string, number> = {};
    for (const check of checks) measured[check.name] = (await measure(check)) ?? -1;
    const outcomes = evaluateChecks('load_orders', checks, { measured, rowCount: measured.staged_rows! });
    expect(outcomes.filter((o) => !o.passed).map((o) => o.check)).toEqual([
      'one_row_per_order',
      'customer_known',
      'customer_exists',
      'totals_not_negative',
      'recent_within_4h',
    ]);
    const record = (date: string, stageOutcomes: typeof outcomes) =>
      engine.transaction(recordCheckOutcomesSql(d, schema, 'shop', date, ['load_orders'], stageOutcomes));
    await record('2026-12-05', evaluateChecks('load_orders', checks, { measured: {}, rowCount: 40 }));
    await record('2026-12-06', outcomes);
    await record('2026-12-06', outcomes); // a rerun replaces, never duplicates
    const failures = await engine.query(
      checkFailuresSql(d, schema, { from: '2026-12-06', to: '2026-12-06', includeWarnings: true }),
    );
    expect(failures.map((r) => r.check_name)).toEqual([
      'customer_exists',
      'customer_known',
      'one_row_per_order',
      'recent_within_4h',
      'totals_not_negative',
    ]);
    const trailing = await engine.query(
      trailingMeasurementsSql(
        d,
        schema,
        { pipeline: 'shop', stageId: 'load_orders', check: 'staged_rows' },
        '2026-11-29',
        '2026-12-06',
      ),
    );
    expect(trailing.map((r) => Number(r.measured))).toEqual([40]);
    // The fixed day: its rows replace the failures.
    await record(
      '2026-12-06',
      evaluateChecks('load_orders', [checks.at(-1)!], { measured: {}, rowCount: 5 }),
    );
    expect(
      await engine.query(
        checkFailuresSql(d, schema, { from: '2026-12-06', to: '2026-12-31', includeWarnings: true }),
      ),
    ).toEqual([]);
  });
});

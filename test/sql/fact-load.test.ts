import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactTablesSql, factLoadSql, factLoadStatements } from '../../core/sql';
import type { FactLoadSpecInput, LoadBatch } from '../../core/warehouse-spec';
import {
  ENGINE_FACTORIES,
  type Row,
  type WarehouseEngine,
  insertRowsStatements,
} from '../support/sql/engines';
import { freshSchema } from '../support/sql/scd2-fixtures';
import { UNUSED_MANIFEST_URI, UNUSED_SOURCE_URI } from '../support/sql/scd2-harness';
import { readTable } from '../support/sql/snapshots';

function factSpec(schema: string, deduplicate: boolean): FactLoadSpecInput {
  return {
    table: 'fact_order_line',
    schema,
    columns: [
      { name: 'order_id', type: 'bigint' },
      { name: 'line_no', type: 'integer' },
      { name: 'quantity', type: 'integer' },
      { name: 'amount', type: 'decimal(12,2)' },
      { name: 'updated_at', type: 'timestamp' },
    ],
    partitionColumn: 'dt',
    ...(deduplicate ? { uniqueKey: { columns: ['order_id', 'line_no'], latestBy: 'updated_at' } } : {}),
  };
}

function line(orderId: number, lineNo: number, quantity: number, updatedAt = '2024-01-01 10:00:00'): Row {
  return {
    order_id: orderId,
    line_no: lineNo,
    quantity,
    amount: `${quantity * 2}.50`,
    updated_at: updatedAt,
  };
}

/** Exactly-once fact loads (rule 8) on both engines; DuckDB stages from real Parquet files. */
describe.each(ENGINE_FACTORIES)('fact load: $name', ({ create }) => {
  let engine: WarehouseEngine;
  beforeAll(async () => {
    engine = await create();
  });
  afterAll(async () => {
    await engine.close();
  });

  async function load(spec: FactLoadSpecInput, identity: Omit<LoadBatch, 'sourceUri'>, rows: readonly Row[]) {
    const columns = spec.columns;
    if (engine.readsParquet) {
      const sourceUri = await engine.writeParquet(columns, rows);
      await engine.transaction(factLoadSql(spec, { ...identity, sourceUri }, engine.dialect));
      return;
    }
    const statements = factLoadStatements(
      spec,
      { ...identity, sourceUri: UNUSED_SOURCE_URI, manifestUri: UNUSED_MANIFEST_URI },
      engine.dialect,
    );
    await engine.transaction([
      ...statements.createStaging,
      ...insertRowsStatements(engine.dialect, '_md_stg_fact_order_line', columns, rows),
      ...statements.merge,
    ]);
  }

  const readFacts = (spec: FactLoadSpecInput) =>
    readTable(
      engine,
      spec.schema,
      spec.table,
      ['dt', 'order_id', 'line_no', 'quantity', 'amount', 'updated_at'].map((name) => ({ name })),
      ['dt', 'order_id', 'line_no', 'quantity'],
    );
  const readLedger = (spec: FactLoadSpecInput) =>
    readTable(
      engine,
      spec.schema,
      'medallion_load_ledger',
      [{ name: 'table_name' }, { name: 'logical_date' }, { name: 'batch_id' }, { name: 'rows' }],
      ['logical_date', 'batch_id'],
    );
  const fact = (dt: string, row: Row) => ({
    dt,
    order_id: String(row.order_id),
    line_no: String(row.line_no),
    quantity: String(row.quantity),
    amount: String(row.amount),
    updated_at: String(row.updated_at),
  });

  it('loads a date once: a replay of the batch id is a no-op, even with other rows', async () => {
    const spec = factSpec(freshSchema('fact'), false);
    await engine.transaction(createFactTablesSql(spec, engine.dialect));
    const rows = [line(1, 1, 3), line(1, 2, 1)];
    await load(spec, { logicalDate: '2024-01-01', batchId: 'gold-1' }, rows);
    await load(spec, { logicalDate: '2024-01-01', batchId: 'gold-1' }, rows);
    await load(spec, { logicalDate: '2024-01-01', batchId: 'gold-1' }, [line(9, 9, 9)]);
    expect(await readFacts(spec)).toEqual(rows.map((row) => fact('2024-01-01', row)));
    expect(await readLedger(spec)).toEqual([
      {
        table_name: `${spec.schema}.fact_order_line`,
        logical_date: '2024-01-01',
        batch_id: 'gold-1',
        rows: '2',
      },
    ]);
  });

  it("re-loading a date under a new batch id replaces that date's partition only", async () => {
    const spec = factSpec(freshSchema('fact'), false);
    await engine.transaction(createFactTablesSql(spec, engine.dialect));
    await load(spec, { logicalDate: '2024-01-01', batchId: 'gold-1' }, [line(1, 1, 3), line(1, 2, 1)]);
    await load(spec, { logicalDate: '2024-01-02', batchId: 'gold-2' }, [line(2, 1, 5)]);
    await load(spec, { logicalDate: '2024-01-01', batchId: 'gold-1-rerun' }, [line(1, 1, 4)]);
    expect(await readFacts(spec)).toEqual([
      fact('2024-01-01', line(1, 1, 4)),
      fact('2024-01-02', line(2, 1, 5)),
    ]);
    expect((await readLedger(spec)).map((row) => [row.batch_id, row.rows])).toEqual([
      ['gold-1', '2'],
      ['gold-1-rerun', '1'],
      ['gold-2', '1'],
    ]);
  });

  it('keeps the latest row per unique key inside a batch (and every row without a unique key)', async () => {
    const deduplicated = factSpec(freshSchema('fact'), true);
    const plain = factSpec(freshSchema('fact'), false);
    const rows = [
      line(1, 1, 1, '2024-01-01 08:00:00'),
      line(1, 1, 7, '2024-01-01 11:00:00'),
      line(1, 1, 2, '2024-01-01 09:00:00'),
      line(1, 2, 5, '2024-01-01 08:00:00'),
    ];
    for (const spec of [deduplicated, plain]) {
      await engine.transaction(createFactTablesSql(spec, engine.dialect));
      await load(spec, { logicalDate: '2024-01-01', batchId: 'gold-1' }, rows);
    }
    expect(await readFacts(deduplicated)).toEqual([
      fact('2024-01-01', line(1, 1, 7, '2024-01-01 11:00:00')),
      fact('2024-01-01', line(1, 2, 5, '2024-01-01 08:00:00')),
    ]);
    expect(await readFacts(plain)).toHaveLength(4);
  });
});

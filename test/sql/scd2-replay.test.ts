import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDimensionTablesSql } from '../../core/sql';
import type { DimensionSpecInput } from '../../core/warehouse-spec';
import { ENGINE_FACTORIES, type WarehouseEngine } from '../support/sql/engines';
import {
  type CustomerChange,
  applyChanges,
  batch,
  batchCounts,
  customerRow,
  customerSpec,
  freshSchema,
  readEverything,
  readVersions,
  setUpDimension,
} from '../support/sql/scd2-fixtures';
import { applyScd2Batch, scd2BatchStatements } from '../support/sql/scd2-harness';
import { readTable } from '../support/sql/snapshots';

const DAY_ONE: CustomerChange[] = [
  { op: 'I', id: 1, at: '2024-01-01 08:00:00', email: 'a@x', tier: 'gold', fullName: 'Ann' },
  { op: 'U', id: 1, at: '2024-01-01 09:00:00', email: 'b@x', tier: 'gold', fullName: 'Ann' },
  { op: 'I', id: 2, at: '2024-01-01 08:30:00', email: 'c@x' },
  { op: 'D', id: 2, at: '2024-01-01 10:00:00' },
];
const DAY_TWO: CustomerChange[] = [
  { op: 'U', id: 1, at: '2024-01-02 08:00:00', email: 'b@x', tier: 'gold', fullName: 'Ann Lee' },
  { op: 'I', id: 2, at: '2024-01-02 09:00:00', email: 'c@x' },
  { op: 'D', id: 3, at: '2024-01-02 09:00:00' },
  { op: 'U', id: 1, at: '2024-01-01 08:30:00', email: 'late@x' },
];

/** Exactly-once and idempotency of the SCD2 merge (rules 8 and 9), on both engines. */
describe.each(ENGINE_FACTORIES)('SCD2 replays: $name', ({ create }) => {
  let engine: WarehouseEngine;
  beforeAll(async () => {
    engine = await create();
  });
  afterAll(async () => {
    await engine.close();
  });

  it.each(['close', 'tombstone'] as const)(
    'replaying a batch under its own batch id is a no-op, even with other contents (%s)',
    async (deletePolicy) => {
      const spec = customerSpec(freshSchema(), { deletePolicy });
      await setUpDimension(engine, spec);
      await applyChanges(engine, spec, batch(1), DAY_ONE);
      await applyChanges(engine, spec, batch(2), DAY_TWO);
      const before = await readEverything(engine, spec);
      const countsBefore = await batchCounts(engine, spec, batch(2));
      await applyChanges(engine, spec, batch(2), DAY_TWO);
      await applyChanges(engine, spec, batch(2), [{ op: 'D', id: 1, at: '2024-01-03 08:00:00' }]);
      expect(await readEverything(engine, spec)).toEqual(before);
      expect(await batchCounts(engine, spec, batch(2))).toEqual(countsBefore);
    },
  );

  it.each(['close', 'tombstone'] as const)(
    'applying the same changes again under a new batch id changes no dimension row (%s)',
    async (deletePolicy) => {
      const spec = customerSpec(freshSchema(), { deletePolicy, lateArriving: 'quarantine' });
      await setUpDimension(engine, spec);
      await applyChanges(engine, spec, batch(1), DAY_ONE);
      await applyChanges(engine, spec, batch(2), DAY_TWO);
      const before = await readEverything(engine, spec);
      const late = () =>
        readTable(engine, spec.schema, 'dim_customer_late_changes', [{ name: 'email' }], ['email']);
      const lateBefore = await late();
      await applyChanges(engine, spec, batch(1, 'rerun'), DAY_ONE);
      await applyChanges(engine, spec, batch(2, 'rerun'), DAY_TWO);
      const after = await readEverything(engine, spec);
      expect(after.dimension).toEqual(before.dimension);
      expect(after.watermarks).toEqual(before.watermarks);
      expect(await late()).toEqual(lateBefore);
      expect(await batchCounts(engine, spec, batch(2, 'rerun'))).toEqual([
        expect.objectContaining({
          changes_replayed: 3,
          changes_late: 1,
          versions_opened: 0,
          versions_closed: 0,
        }),
      ]);
    },
  );

  it('a failed batch leaves nothing behind and can be retried', async () => {
    const spec = customerSpec(freshSchema());
    await setUpDimension(engine, spec);
    const statements = await scd2BatchStatements(engine, spec, batch(1), DAY_ONE.map(customerRow));
    // Fail after every statement of the merge ran (the ledger row included), before the commit.
    await expect(
      engine.transaction([...statements, "SELECT CAST('not a number' AS INTEGER)"]),
    ).rejects.toThrow();
    expect((await readEverything(engine, spec)).ledger).toEqual([]);
    expect(await readVersions(engine, spec)).toEqual([]);
    await engine.transaction(await scd2BatchStatements(engine, spec, batch(1), DAY_ONE.map(customerRow)));
    expect(await readVersions(engine, spec)).toHaveLength(3);
  });

  it('rerunning the same batches into an empty warehouse produces byte-identical rows', async () => {
    const first = customerSpec(freshSchema(), { deletePolicy: 'tombstone' });
    const second = { ...first, schema: freshSchema() };
    for (const spec of [first, second]) {
      await setUpDimension(engine, spec);
      await applyChanges(engine, spec, batch(1), DAY_ONE);
      await applyChanges(engine, spec, batch(2), DAY_TWO);
    }
    const [one, two] = [await readEverything(engine, first), await readEverything(engine, second)];
    expect(one.dimension.length).toBeGreaterThan(3);
    expect(two.dimension).toEqual(one.dimension);
    expect(new Set(one.dimension.map((row) => row.surrogate_key)).size).toBe(one.dimension.length);
  });

  it('quotes reserved words and handles a composite business key', async () => {
    const spec: DimensionSpecInput = {
      table: 'order',
      schema: freshSchema('select'),
      businessKey: ['user', 'group'],
      columns: [
        { name: 'user', type: 'varchar(64)' },
        { name: 'group', type: 'integer' },
        { name: 'from', type: 'decimal(12,2)' },
        { name: 'where', type: 'boolean' },
        { name: 'when', type: 'date' },
        { name: 'select', type: 'double' },
      ],
      tracked: ['from', 'where', 'when'],
      orderBy: 'at',
      operationColumn: 'op',
      sequenceColumn: 'seq',
      sequenceColumnType: 'bigint',
      deletePolicy: 'tombstone',
    };
    await engine.transaction(createDimensionTablesSql(spec, engine.dialect));
    const row = (
      user: string,
      group: number,
      at: string,
      values: { from: string | null; where: boolean | null },
    ) => ({
      user,
      group,
      from: values.from,
      where: values.where,
      when: '2024-01-01',
      select: 1.5,
      at,
      op: 'U',
      seq: 1,
    });
    const identity = { logicalDate: '2024-01-01', batchId: 'order-1' };
    await applyScd2Batch(engine, spec, identity, [
      row('ann', 1, '2024-01-01 08:00:00', { from: '10.50', where: null }),
      row('ann', 1, '2024-01-01 09:00:00', { from: '10.50', where: false }),
      row('ann', 2, '2024-01-01 08:00:00', { from: null, where: true }),
    ]);
    const versions = await readTable(
      engine,
      spec.schema,
      'order',
      [
        { name: 'user' },
        { name: 'group' },
        { name: 'from' },
        { name: 'where', boolean: true },
        { name: 'valid_from' },
      ],
      ['user', 'group', 'valid_from'],
    );
    expect(versions).toEqual([
      { user: 'ann', group: '1', from: '10.50', where: null, valid_from: '2024-01-01 08:00:00' },
      { user: 'ann', group: '1', from: '10.50', where: false, valid_from: '2024-01-01 09:00:00' },
      { user: 'ann', group: '2', from: null, where: true, valid_from: '2024-01-01 08:00:00' },
    ]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_FACTORIES, type WarehouseEngine } from '../support/sql/engines';
import {
  applyChanges,
  batch,
  batchCounts,
  customerSpec,
  freshSchema,
  readVersions,
  setUpDimension,
  version,
} from '../support/sql/scd2-fixtures';
import { readTable } from '../support/sql/snapshots';

/** Architecture rule 9, case by case, on both engines (DuckDB stages from real Parquet files). */
describe.each(ENGINE_FACTORIES)('SCD2 semantics: $name', ({ create }) => {
  let engine: WarehouseEngine;
  beforeAll(async () => {
    engine = await create();
  });
  afterAll(async () => {
    await engine.close();
  });

  it('applies several changes to one key in one batch in orderBy order, not file order', async () => {
    const spec = customerSpec(freshSchema());
    await setUpDimension(engine, spec);
    const day1 = batch(1);
    await applyChanges(engine, spec, day1, [
      { op: 'U', id: 1, at: '2024-01-01 12:00:00', email: 'c@x', tier: 'gold' },
      { op: 'I', id: 1, at: '2024-01-01 08:00:00', email: 'a@x', tier: 'gold' },
      { op: 'U', id: 1, at: '2024-01-01 10:00:00', email: 'b@x', tier: 'gold' },
    ]);
    expect(await readVersions(engine, spec)).toEqual([
      version(1, 'a@x', '2024-01-01 08:00:00', '2024-01-01 10:00:00', day1.batchId, { tier: 'gold' }),
      version(1, 'b@x', '2024-01-01 10:00:00', '2024-01-01 12:00:00', day1.batchId, { tier: 'gold' }),
      version(1, 'c@x', '2024-01-01 12:00:00', null, day1.batchId, { tier: 'gold' }),
    ]);
    expect(await batchCounts(engine, spec, day1)).toEqual([
      expect.objectContaining({ changes_staged: 3, versions_opened: 3, versions_closed: 2, changes_noop: 0 }),
    ]);
  });

  it('breaks ties on orderBy by the sequence column: the highest commit wins, no zero-length version', async () => {
    const spec = customerSpec(freshSchema());
    await setUpDimension(engine, spec);
    const day1 = batch(1);
    await applyChanges(engine, spec, day1, [
      { op: 'U', id: 1, at: '2024-01-01 08:00:00', email: 'late-commit@x', commit: '2024-01-01 08:00:05' },
      { op: 'I', id: 1, at: '2024-01-01 08:00:00', email: 'early-commit@x', commit: '2024-01-01 08:00:01' },
    ]);
    expect(await readVersions(engine, spec)).toEqual([
      version(1, 'late-commit@x', '2024-01-01 08:00:00', null, day1.batchId),
    ]);
    expect(await batchCounts(engine, spec, day1)).toEqual([
      expect.objectContaining({ changes_staged: 2, changes_superseded: 1, versions_opened: 1 }),
    ]);
  });

  it('opens no version for a no-op update and overwrites the type-1 columns of the current version', async () => {
    const spec = customerSpec(freshSchema());
    await setUpDimension(engine, spec);
    const [day1, day2] = [batch(1), batch(2)];
    await applyChanges(engine, spec, day1, [
      { op: 'I', id: 1, at: '2024-01-01 08:00:00', email: 'a@x', tier: 'gold', fullName: 'Ann' },
    ]);
    await applyChanges(engine, spec, day2, [
      { op: 'U', id: 1, at: '2024-01-02 08:00:00', email: 'a@x', tier: 'gold', fullName: 'Ann Lee' },
      { op: 'U', id: 1, at: '2024-01-02 09:00:00', email: 'a@x', tier: 'gold', fullName: 'Ann B. Lee' },
    ]);
    expect(await readVersions(engine, spec)).toEqual([
      version(1, 'a@x', '2024-01-01 08:00:00', null, day1.batchId, { tier: 'gold', fullName: 'Ann B. Lee' }),
    ]);
    expect(await batchCounts(engine, spec, day2)).toEqual([
      expect.objectContaining({ changes_noop: 2, versions_opened: 0, versions_closed: 0, type1_updates: 1 }),
    ]);
  });

  it("ends the current version on delete under 'close', leaving no current row", async () => {
    const spec = customerSpec(freshSchema(), { deletePolicy: 'close' });
    await setUpDimension(engine, spec);
    const [day1, day2] = [batch(1), batch(2)];
    await applyChanges(engine, spec, day1, [{ op: 'I', id: 1, at: '2024-01-01 08:00:00', email: 'a@x' }]);
    await applyChanges(engine, spec, day2, [
      { op: 'D', id: 1, at: '2024-01-02 08:00:00', email: 'a@x' },
      { op: 'D', id: 2, at: '2024-01-02 08:00:00' },
    ]);
    expect(await readVersions(engine, spec)).toEqual([
      version(1, 'a@x', '2024-01-01 08:00:00', '2024-01-02 08:00:00', day1.batchId, {
        closedBy: day2.batchId,
      }),
    ]);
    expect(await batchCounts(engine, spec, day2)).toEqual([
      expect.objectContaining({ versions_opened: 0, versions_closed: 1, changes_noop: 1 }),
    ]);
  });

  it("ends the current version and adds an is_deleted version on delete under 'tombstone'", async () => {
    const spec = customerSpec(freshSchema(), { deletePolicy: 'tombstone' });
    await setUpDimension(engine, spec);
    const [day1, day2] = [batch(1), batch(2)];
    await applyChanges(engine, spec, day1, [
      { op: 'I', id: 1, at: '2024-01-01 08:00:00', email: 'a@x', tier: 'gold', fullName: 'Ann' },
    ]);
    await applyChanges(engine, spec, day2, [{ op: 'D', id: 1, at: '2024-01-02 08:00:00' }]);
    expect(await readVersions(engine, spec)).toEqual([
      version(1, 'a@x', '2024-01-01 08:00:00', '2024-01-02 08:00:00', day1.batchId, {
        tier: 'gold',
        fullName: 'Ann',
        closedBy: day2.batchId,
      }),
      version(1, 'a@x', '2024-01-02 08:00:00', null, day2.batchId, {
        tier: 'gold',
        fullName: 'Ann',
        deleted: true,
      }),
    ]);
  });

  it.each(['close', 'tombstone'] as const)(
    'opens a new version when a deleted key comes back (%s)',
    async (deletePolicy) => {
      const spec = customerSpec(freshSchema(), { deletePolicy });
      await setUpDimension(engine, spec);
      const [day1, day2] = [batch(1), batch(2)];
      await applyChanges(engine, spec, day1, [
        { op: 'I', id: 1, at: '2024-01-01 08:00:00', email: 'a@x' },
        { op: 'D', id: 1, at: '2024-01-01 09:00:00', email: 'a@x' },
      ]);
      // The same values as before the delete: the return still opens a version.
      await applyChanges(engine, spec, day2, [{ op: 'I', id: 1, at: '2024-01-02 08:00:00', email: 'a@x' }]);
      const expected =
        deletePolicy === 'close'
          ? [
              version(1, 'a@x', '2024-01-01 08:00:00', '2024-01-01 09:00:00', day1.batchId),
              version(1, 'a@x', '2024-01-02 08:00:00', null, day2.batchId),
            ]
          : [
              version(1, 'a@x', '2024-01-01 08:00:00', '2024-01-01 09:00:00', day1.batchId),
              version(1, 'a@x', '2024-01-01 09:00:00', '2024-01-02 08:00:00', day1.batchId, {
                deleted: true,
                closedBy: day2.batchId,
              }),
              version(1, 'a@x', '2024-01-02 08:00:00', null, day2.batchId),
            ];
      expect(await readVersions(engine, spec)).toEqual(expected);
    },
  );

  it("tells NULL from '' in tracked columns (NULL-safe row hash)", async () => {
    const spec = customerSpec(freshSchema());
    await setUpDimension(engine, spec);
    const [day1, day2] = [batch(1), batch(2)];
    await applyChanges(engine, spec, day1, [
      { op: 'I', id: 1, at: '2024-01-01 08:00:00', email: null, tier: '' },
    ]);
    await applyChanges(engine, spec, day2, [
      { op: 'U', id: 1, at: '2024-01-02 08:00:00', email: '', tier: null },
      { op: 'U', id: 1, at: '2024-01-02 09:00:00', email: '', tier: null },
    ]);
    const rows = await readVersions(engine, spec, [
      { name: 'email' },
      { name: 'tier' },
      { name: 'row_hash' },
      { name: 'is_current', boolean: true },
    ]);
    expect(rows.map(({ email, tier, is_current }) => ({ email, tier, is_current }))).toEqual([
      { email: null, tier: '', is_current: false },
      { email: '', tier: null, is_current: true },
    ]);
    expect(rows[0]!.row_hash).not.toBe(rows[1]!.row_hash);
    expect(await batchCounts(engine, spec, day2)).toEqual([
      expect.objectContaining({ versions_opened: 1, changes_noop: 1 }),
    ]);
  });

  it("skips and counts late-arriving changes under 'ignore'", async () => {
    const spec = customerSpec(freshSchema(), { lateArriving: 'ignore' });
    await setUpDimension(engine, spec);
    const [day1, day2] = [batch(1), batch(2)];
    await applyChanges(engine, spec, day1, [{ op: 'I', id: 1, at: '2024-01-01 12:00:00', email: 'new@x' }]);
    await applyChanges(engine, spec, day2, [{ op: 'U', id: 1, at: '2024-01-01 09:00:00', email: 'old@x' }]);
    expect(await readVersions(engine, spec)).toEqual([
      version(1, 'new@x', '2024-01-01 12:00:00', null, day1.batchId),
    ]);
    expect(await batchCounts(engine, spec, day2)).toEqual([
      expect.objectContaining({ changes_late: 1, changes_replayed: 0, versions_opened: 0 }),
    ]);
  });

  it("keeps late-arriving changes once in <table>_late_changes under 'quarantine'", async () => {
    const spec = customerSpec(freshSchema(), { lateArriving: 'quarantine' });
    await setUpDimension(engine, spec);
    const [day1, day2, day3] = [batch(1), batch(2), batch(3)];
    const late = { op: 'U' as const, id: 1, at: '2024-01-01 09:00:00', email: 'old@x' };
    await applyChanges(engine, spec, day1, [{ op: 'I', id: 1, at: '2024-01-01 12:00:00', email: 'new@x' }]);
    await applyChanges(engine, spec, day2, [late]);
    await applyChanges(engine, spec, day3, [late]);
    expect(await readVersions(engine, spec)).toEqual([
      version(1, 'new@x', '2024-01-01 12:00:00', null, day1.batchId),
    ]);
    expect(
      await readTable(
        engine,
        spec.schema,
        'dim_customer_late_changes',
        [
          { name: 'customer_id' },
          { name: 'email' },
          { name: 'updated_at' },
          { name: '_op' },
          { name: 'batch_id' },
        ],
        ['customer_id'],
      ),
    ).toEqual([
      {
        customer_id: '1',
        email: 'old@x',
        updated_at: '2024-01-01 09:00:00',
        _op: 'U',
        batch_id: day2.batchId,
      },
    ]);
    expect(await batchCounts(engine, spec, day3)).toEqual([expect.objectContaining({ changes_late: 1 })]);
  });

  it('rejects and counts changes without a business key, orderBy or a valid operation', async () => {
    const spec = customerSpec(freshSchema());
    await setUpDimension(engine, spec);
    const day1 = batch(1);
    await applyChanges(engine, spec, day1, [
      { op: 'I', id: null, at: '2024-01-01 08:00:00', email: 'no-key@x' },
      { op: 'I', id: 2, at: null, email: 'no-time@x' },
      { op: 'X' as 'I', id: 3, at: '2024-01-01 08:00:00', email: 'bad-op@x' },
      { op: 'I', id: 4, at: '2024-01-01 08:00:00', email: 'ok@x' },
    ]);
    expect(await readVersions(engine, spec)).toEqual([
      version(4, 'ok@x', '2024-01-01 08:00:00', null, day1.batchId),
    ]);
    expect(await batchCounts(engine, spec, day1)).toEqual([
      expect.objectContaining({ changes_staged: 4, changes_rejected: 3, versions_opened: 1 }),
    ]);
  });
});

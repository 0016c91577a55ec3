import { createDimensionTablesSql, scd2BatchCountsSql } from '../../../core/sql';
import type { DimensionSpecInput } from '../../../core/warehouse-spec';
import type { Row, WarehouseEngine } from './engines';
import { applyScd2Batch } from './scd2-harness';
import { SCD2_VERSION_COLUMNS, type SnapshotColumn, readTable, toCounts } from './snapshots';

/** A customer dimension like the shop pipeline's: email and tier tracked, full_name and updated_at type 1. */
export function customerSpec(
  schema: string,
  overrides: Partial<Pick<DimensionSpecInput, 'deletePolicy' | 'lateArriving'>> = {},
): DimensionSpecInput {
  return {
    table: 'dim_customer',
    schema,
    businessKey: ['customer_id'],
    columns: [
      { name: 'customer_id', type: 'bigint' },
      { name: 'email', type: 'varchar' },
      { name: 'full_name', type: 'varchar' },
      { name: 'tier', type: 'varchar' },
      { name: 'updated_at', type: 'timestamp' },
    ],
    tracked: ['email', 'tier'],
    orderBy: 'updated_at',
    deletePolicy: overrides.deletePolicy ?? 'close',
    lateArriving: overrides.lateArriving ?? 'ignore',
  };
}

let schemas = 0;
/** A fresh schema per test, so tests share one database without sharing tables. */
export function freshSchema(prefix = 'ex'): string {
  schemas += 1;
  return `${prefix}_${schemas}`;
}

export interface CustomerChange {
  op: 'I' | 'U' | 'D';
  id: number | null;
  at: string | null;
  email?: string | null;
  tier?: string | null;
  fullName?: string | null;
  /** The commit timestamp (tie-breaker); defaults to `at`. */
  commit?: string;
}

export function customerRow(change: CustomerChange): Row {
  return {
    customer_id: change.id,
    email: change.email ?? null,
    full_name: change.fullName ?? null,
    tier: change.tier ?? null,
    updated_at: change.at,
    _op: change.op,
    _commit_ts: change.commit ?? change.at,
  };
}

export async function setUpDimension(engine: WarehouseEngine, spec: DimensionSpecInput): Promise<void> {
  await engine.transaction(createDimensionTablesSql(spec, engine.dialect));
}

export function batch(day: number, suffix = 'a') {
  const logicalDate = `2024-01-${String(day).padStart(2, '0')}`;
  return { logicalDate, batchId: `dim_customer/${logicalDate}/${suffix}` };
}

export async function applyChanges(
  engine: WarehouseEngine,
  spec: DimensionSpecInput,
  identity: { logicalDate: string; batchId: string },
  changes: readonly CustomerChange[],
): Promise<void> {
  await applyScd2Batch(engine, spec, identity, changes.map(customerRow));
}

const VERSION_COLUMNS: readonly SnapshotColumn[] = [
  ...['customer_id', 'email', 'full_name', 'tier'].map((name) => ({ name })),
  ...SCD2_VERSION_COLUMNS,
];

export async function readVersions(
  engine: WarehouseEngine,
  spec: DimensionSpecInput,
  columns: readonly SnapshotColumn[] = VERSION_COLUMNS,
) {
  return readTable(engine, spec.schema, spec.table, columns, ['customer_id', 'valid_from']);
}

/** The full dimension, warehouse metadata included, for "nothing changed" comparisons. */
export async function readEverything(engine: WarehouseEngine, spec: DimensionSpecInput) {
  return {
    dimension: await readVersions(engine, spec, [
      { name: 'surrogate_key' },
      ...VERSION_COLUMNS,
      { name: 'updated_at' },
      { name: 'row_hash' },
    ]),
    watermarks: await readTable(
      engine,
      spec.schema,
      `${spec.table}_watermarks`,
      [{ name: 'customer_id' }, { name: 'last_change_at' }, { name: 'batch_id' }],
      ['customer_id'],
    ),
    ledger: await readTable(
      engine,
      spec.schema,
      'medallion_load_ledger',
      [
        { name: 'table_name' },
        { name: 'logical_date' },
        { name: 'batch_id' },
        { name: 'rows' },
        { name: 'loaded_at' },
      ],
      ['logical_date', 'batch_id'],
    ),
  };
}

export async function batchCounts(
  engine: WarehouseEngine,
  spec: DimensionSpecInput,
  identity: { logicalDate: string; batchId: string },
) {
  const rows = await engine.query(scd2BatchCountsSql(spec, identity, engine.dialect));
  return rows.map(toCounts);
}

/** Expected version rows, written compactly. */
export function version(
  id: number,
  email: string | null,
  from: string,
  to: string | null,
  batchId: string,
  extra: { tier?: string | null; fullName?: string | null; deleted?: boolean; closedBy?: string | null } = {},
): Row {
  return {
    customer_id: String(id),
    email,
    full_name: extra.fullName ?? null,
    tier: extra.tier ?? null,
    valid_from: from,
    valid_to: to ?? '9999-12-31 00:00:00',
    is_current: to === null,
    is_deleted: extra.deleted ?? false,
    batch_id: batchId,
    closed_batch_id: to === null ? null : (extra.closedBy ?? batchId),
  };
}

import { describe, expect, it } from 'vitest';
import {
  WarehouseSpecError,
  parseDimensionSpec,
  parseFactLoadSpec,
  parseLoadBatch,
} from '../../core/warehouse-spec';
import { customerSpec } from '../support/sql/scd2-fixtures';

const valid = customerSpec('analytics');

function dimensionError(patch: Record<string, unknown>): string {
  try {
    parseDimensionSpec({ ...valid, ...patch });
  } catch (error) {
    expect(error).toBeInstanceOf(WarehouseSpecError);
    return (error as Error).message;
  }
  throw new Error('expected the spec to be rejected');
}

describe('DimensionSpec', () => {
  it('fills the DMS defaults', () => {
    expect(parseDimensionSpec(valid)).toMatchObject({
      operationColumn: '_op',
      sequenceColumn: '_commit_ts',
      sequenceColumnType: 'timestamp',
      lateArriving: 'ignore',
    });
  });

  it.each([
    [{ table: 'Dim-Customer' }, 'table', 'lower-case SQL identifier'],
    [{ table: 'x'.repeat(49) }, 'table', 'at most 48 characters'],
    [{ schema: 'analytics"; DROP TABLE x; --' }, 'schema', 'lower-case SQL identifier'],
    [
      { columns: [...valid.columns, { name: 'Email', type: 'varchar' }] },
      'columns[5].name',
      'lower-case SQL identifier',
    ],
    [
      { columns: [...valid.columns, { name: 'x', type: 'text' }] },
      'columns[5].type',
      'is not a supported column type',
    ],
    [
      { columns: [...valid.columns, { name: 'x', type: 'decimal(40,2)' }] },
      'columns[5].type',
      'invalid precision or scale',
    ],
    [{ columns: [...valid.columns, { name: 'x', type: 'varchar(0)' }] }, 'columns[5].type', 'invalid length'],
    [
      { columns: [...valid.columns, { name: 'valid_from', type: 'timestamp' }] },
      'columns',
      'is a column the loader adds',
    ],
    [
      { columns: [...valid.columns, { name: '_md_x', type: 'bigint' }] },
      'columns[5].name',
      'reserved for the loader',
    ],
    [{ columns: [...valid.columns, { name: 'email', type: 'varchar' }] }, 'columns', 'lists "email" twice'],
    [{ businessKey: ['id'] }, 'businessKey[0]', 'is not in `columns`'],
    [{ tracked: ['customer_id'] }, 'tracked[0]', 'must be a non-key column'],
    [{ orderBy: 'full_name' }, 'orderBy', 'must be a timestamp'],
    [{ operationColumn: 'email' }, 'operationColumn', 'is a staging-only column'],
    [{ sequenceColumn: 'updated_at' }, 'sequenceColumn', 'must differ from orderBy'],
    [{ deletePolicy: 'purge' }, 'deletePolicy', '"close"'],
    [{ lateArriving: 'rewrite' }, 'lateArriving', '"quarantine"'],
  ])('rejects %j naming %s', (patch, path, message) => {
    const error = dimensionError(patch);
    expect(error).toContain(`at ${path}`);
    expect(error).toContain(message);
  });
});

describe('FactLoadSpec', () => {
  const fact = {
    table: 'fact_sales',
    schema: 'analytics',
    columns: [
      { name: 'order_id', type: 'bigint' },
      { name: 'updated_at', type: 'timestamp' },
    ],
    partitionColumn: 'dt',
  };

  it('accepts a valid spec', () => {
    expect(parseFactLoadSpec(fact).partitionColumn).toBe('dt');
  });

  it.each([
    [{ partitionColumn: 'order_id' }, 'partitionColumn', 'added by the loader'],
    [
      { uniqueKey: { columns: ['line'], latestBy: 'updated_at' } },
      'uniqueKey.columns[0]',
      'is not in `columns`',
    ],
    [{ uniqueKey: { columns: ['order_id'], latestBy: 'ts' } }, 'uniqueKey.latestBy', 'is not in `columns`'],
  ])('rejects %j naming %s', (patch, path, message) => {
    expect(() => parseFactLoadSpec({ ...fact, ...patch })).toThrow(`at ${path}`);
    expect(() => parseFactLoadSpec({ ...fact, ...patch })).toThrow(message);
  });
});

describe('LoadBatch', () => {
  const batch = {
    logicalDate: '2024-02-29',
    batchId: 'md-load-g0-0123abcd',
    sourceUri: 's3://lake/silver/customers/dt=2024-02-29/',
  };

  it('accepts s3 prefixes and absolute local paths', () => {
    expect(parseLoadBatch(batch)).toEqual(batch);
    expect(parseLoadBatch({ ...batch, sourceUri: '/tmp/lake/silver/' }).sourceUri).toBe('/tmp/lake/silver/');
  });

  it.each([
    [{ logicalDate: '2023-02-29' }, 'logicalDate', 'not a calendar date'],
    [{ logicalDate: '20240101' }, 'logicalDate', 'YYYY-MM-DD'],
    [{ batchId: "x'; DELETE FROM t; --" }, 'batchId', 'letters, digits'],
    [{ sourceUri: 's3://lake/silver/customers' }, 'sourceUri', 'ending in "/"'],
    [{ sourceUri: "s3://lake/it's/" }, 'sourceUri', 'without quotes'],
    [{ sourceUri: 'https://lake/silver/' }, 'sourceUri', 's3://bucket/prefix/'],
  ])('rejects %j naming %s', (patch, path, message) => {
    expect(() => parseLoadBatch({ ...batch, ...patch })).toThrow(`at ${path}`);
    expect(() => parseLoadBatch({ ...batch, ...patch })).toThrow(message);
  });
});

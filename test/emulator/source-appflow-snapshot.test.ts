import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createShopSimulator,
  crmAccountsAt,
  MalformedReason,
  shopChangeLog,
} from '../../emulator/sources/shop-simulator';
import type { AppFlowRequest } from '../../emulator/sources/source-api';
import { filesWithBytes, parquetColumns, queryRows } from '../support/lake/read-parquet';
import { createTempLake, type TempLake } from '../support/lake/temp-lake';

const options = { epochUtc: new Date('2025-03-01T00:00:00Z') };
const simulator = createShopSimulator(options);
const SEED = 9;

let lake: TempLake;
beforeEach(async () => {
  lake = await createTempLake();
});
afterEach(async () => {
  await lake.remove();
});

function request(asOfIso: string, overrides: Partial<AppFlowRequest> = {}): AppFlowRequest {
  return {
    seed: SEED,
    object: 'accounts',
    asOfUtc: new Date(asOfIso),
    outputUri: 's3://lake/bronze/saas/_appflow/crm-accounts/exec-1/',
    resolve: lake.resolve,
    ...overrides,
  };
}

describe('AppFlow snapshot of CRM accounts', () => {
  it('writes every account as of the instant, in part files, with the CRM columns', async () => {
    const asOf = '2025-03-30T22:00:00Z';
    const result = await simulator.writeAppFlowSnapshot(request(asOf));
    const expected = crmAccountsAt(SEED, new Date(asOf), options);
    expect(result.recordsProcessed).toBe(expected.length);
    expect(result.files[0]).toBe('s3://lake/bronze/saas/_appflow/crm-accounts/exec-1/part-00000.parquet');
    expect(result.files.length).toBe(Math.ceil(expected.length / 1000));
    const files = await filesWithBytes(lake.dir);
    expect(result.bytesWritten).toBe([...files.values()].reduce((sum, bytes) => sum + bytes.length, 0));
    expect(await parquetColumns(lake.resolve(result.files[0]!))).toEqual([
      'account_id',
      'customer_email',
      'name',
      'owner',
      'lifecycle_stage',
      'last_modified',
    ]);
    const rows = await queryRows(
      `SELECT * FROM read_parquet('${lake.dir}/lake/bronze/saas/_appflow/crm-accounts/exec-1/*.parquet') ORDER BY account_id`,
    );
    expect(rows).toEqual(
      expected.map(({ row }) => ({ ...row, last_modified: row.last_modified!.toISOString() })),
    );
  });

  it('reflects edits over time, keeps a few malformed e-mails, and links accounts to shop customers', () => {
    const before = crmAccountsAt(SEED, new Date('2025-03-20T00:00:00Z'), options);
    const after = crmAccountsAt(SEED, new Date('2025-03-30T00:00:00Z'), options);
    expect(after.length).toBeGreaterThan(before.length);
    const beforeById = new Map(before.map((version) => [version.row.account_id, version.row]));
    const edited = after.filter((version) => {
      const old = beforeById.get(version.row.account_id);
      return old && old.last_modified!.getTime() !== version.row.last_modified!.getTime();
    });
    expect(edited.length).toBeGreaterThan(20);
    const malformed = after.filter((version) => version.malformed);
    expect(malformed.every((version) => version.malformed === MalformedReason.accountEmailNotAddress)).toBe(
      true,
    );
    expect(malformed.every((version) => !version.row.customer_email!.includes('@'))).toBe(true);
    expect(
      after
        .filter((version) => !version.malformed)
        .every((version) => version.row.customer_email!.includes('@')),
    ).toBe(true);
    expect(malformed.length / after.length).toBeGreaterThan(0.005);
    expect(malformed.length / after.length).toBeLessThan(0.08);
    const customerEmails = new Set(
      shopChangeLog(SEED, new Date('2025-03-01T00:00:00Z'), new Date('2025-03-30T00:00:00Z'), options)
        .filter((change) => change.table === 'customers' && !change.malformed)
        .map((change) => (change.row as { email: string }).email.trim().toLowerCase()),
    );
    const linked = after.filter((version) => customerEmails.has(version.row.customer_email!));
    expect(linked.length / after.length).toBeGreaterThan(0.5);
  });

  it('writes identical bytes on a rerun and rejects an unknown object', async () => {
    await simulator.writeAppFlowSnapshot(request('2025-03-25T00:00:00Z'));
    const first = await filesWithBytes(lake.dir);
    await simulator.writeAppFlowSnapshot(request('2025-03-25T00:00:00Z'));
    const second = await filesWithBytes(lake.dir);
    expect([...second.keys()]).toEqual([...first.keys()]);
    for (const [name, bytes] of first) expect(second.get(name)!.equals(bytes)).toBe(true);
    await expect(
      simulator.writeAppFlowSnapshot(request('2025-03-25T00:00:00Z', { object: 'contacts' })),
    ).rejects.toThrow(/object: the simulated CRM serves 'accounts' only, got 'contacts'/);
  });
});

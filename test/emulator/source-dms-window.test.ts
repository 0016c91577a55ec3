import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createShopSimulator, shopChangeLog, shopSnapshotAt } from '../../emulator/sources/shop-simulator';
import type { DmsWindowRequest } from '../../emulator/sources/source-api';
import {
  filesWithBytes,
  parquetColumns,
  queryRows,
  readParquetFile,
  type PlainRow,
} from '../support/lake/read-parquet';
import { createTempLake, type TempLake } from '../support/lake/temp-lake';

const options = { epochUtc: new Date('2025-03-01T00:00:00Z') };
const simulator = createShopSimulator(options);
const SEED = 42;
const TABLES = ['customers', 'products', 'orders', 'order_items'];
const berlinDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' });

let lake: TempLake;
beforeEach(async () => {
  lake = await createTempLake();
});
afterEach(async () => {
  await lake.remove();
});

function request(
  fromIso: string,
  toIso: string,
  overrides: Partial<DmsWindowRequest> = {},
): DmsWindowRequest {
  return {
    seed: SEED,
    schema: 'shop',
    tables: TABLES,
    fromUtc: new Date(fromIso),
    toUtc: new Date(toIso),
    fullLoad: false,
    partitionTimeZone: 'Europe/Berlin',
    cdcMaxBatchInterval: 3600,
    outputUri: 's3://lake/bronze/cdc/',
    resolve: lake.resolve,
    ...overrides,
  };
}

/** All CDC rows of one table under the output, in commit order. */
async function tableRows(table: string, root = join(lake.dir, 'lake/bronze/cdc/shop')): Promise<PlainRow[]> {
  return queryRows(
    `SELECT * FROM read_parquet('${root}/${table}/**/*.parquet') ORDER BY _commit_ts, ${table === 'order_items' ? 'order_id, line_no' : '3'}`,
  );
}

describe('DMS window output', () => {
  it('writes byte-identical files with identical names when the same window runs again', async () => {
    const window = request('2025-03-29T23:00:00Z', '2025-03-31T22:00:00Z', { fullLoad: true });
    await simulator.writeDmsWindow(window);
    const first = await filesWithBytes(lake.dir);
    await simulator.writeDmsWindow(window);
    const second = await filesWithBytes(lake.dir);
    expect([...second.keys()]).toEqual([...first.keys()]);
    for (const [name, bytes] of first) expect(second.get(name)!.equals(bytes)).toBe(true);

    const elsewhere = await createTempLake();
    try {
      await simulator.writeDmsWindow({ ...window, resolve: elsewhere.resolve });
      const third = await filesWithBytes(elsewhere.dir);
      expect([...third.entries()].every(([name, bytes]) => first.get(name)?.equals(bytes))).toBe(true);
    } finally {
      await elsewhere.remove();
    }
  });

  it('writes the same records for a window split in two, and the same files when split at an hour', async () => {
    const whole = await createTempLake();
    try {
      await simulator.writeDmsWindow({
        ...request('2025-03-29T00:00:00Z', '2025-03-31T00:00:00Z'),
        resolve: whole.resolve,
      });
      await simulator.writeDmsWindow(request('2025-03-29T00:00:00Z', '2025-03-30T07:00:00Z'));
      await simulator.writeDmsWindow(request('2025-03-30T07:00:00Z', '2025-03-31T00:00:00Z'));
      const wholeFiles = await filesWithBytes(whole.dir);
      const splitFiles = await filesWithBytes(lake.dir);
      expect([...splitFiles.keys()]).toEqual([...wholeFiles.keys()]);
      for (const [name, bytes] of wholeFiles) expect(splitFiles.get(name)!.equals(bytes)).toBe(true);

      const odd = await createTempLake();
      try {
        await simulator.writeDmsWindow({
          ...request('2025-03-29T00:00:00Z', '2025-03-30T07:13:27.5Z'),
          resolve: odd.resolve,
        });
        await simulator.writeDmsWindow({
          ...request('2025-03-30T07:13:27.5Z', '2025-03-31T00:00:00Z'),
          resolve: odd.resolve,
        });
        for (const table of TABLES) {
          const expected = await tableRows(table, join(whole.dir, 'lake/bronze/cdc/shop'));
          expect(await tableRows(table, join(odd.dir, 'lake/bronze/cdc/shop'))).toEqual(expected);
        }
      } finally {
        await odd.remove();
      }
    } finally {
      await whole.remove();
    }
  });

  it('partitions by commit date in the zone across the DST change, DMS columns first', async () => {
    // Berlin: 2025-03-30 has 23 hours (UTC+1 until 01:00 UTC, then UTC+2).
    const result = await simulator.writeDmsWindow(request('2025-03-29T20:00:00Z', '2025-03-30T23:30:00Z'));
    const changes = shopChangeLog(
      SEED,
      new Date('2025-03-29T20:00:00Z'),
      new Date('2025-03-30T23:30:00Z'),
      options,
    );
    const folders = new Set<string>();
    for (const table of TABLES) {
      const { files, rows } = result.perTable[table]!;
      expect(rows).toBe(changes.filter((change) => change.table === table).length);
      expect((await parquetColumns(lake.resolve(files[0]!))).slice(0, 2)).toEqual(['Op', '_commit_ts']);
      const written = await queryRows(
        `SELECT filename, Op, _commit_ts, MIN(_commit_ts) OVER (PARTITION BY filename) AS first_commit
         FROM read_parquet('${join(lake.dir, 'lake/bronze/cdc/shop', table)}/**/*.parquet', filename = true)`,
      );
      expect(written.length).toBe(rows);
      expect(new Set(written.map((row) => row.filename))).toEqual(
        new Set(files.map((uri) => lake.resolve(uri))),
      );
      for (const row of written) {
        const match = /\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{8})-(\d{9})\.parquet$/.exec(String(row.filename));
        expect(match, String(row.filename)).not.toBeNull();
        const folderDate = `${match![1]}-${match![2]}-${match![3]}`;
        folders.add(folderDate);
        expect(berlinDate.format(new Date(String(row._commit_ts)))).toBe(folderDate);
        expect(['I', 'U', 'D']).toContain(row.Op);
        const firstCommit = String(row.first_commit).replace(/[-:TZ.]/g, '');
        expect(`${match![4]}${match![5]}`).toBe(firstCommit);
      }
    }
    // 20:00Z on the 29th is 21:00 in Berlin; 23:30Z on the 30th is 01:30 on the 31st (summer time).
    expect([...folders].sort()).toEqual(['2025-03-29', '2025-03-30', '2025-03-31']);
    expect(result.lastCommitUtc).toBe(changes.at(-1)!.commitTs.toISOString());
  });

  it('starts with LOAD files of every live row (Op I, stamped with the window start) on a full load', async () => {
    const from = '2025-03-29T23:00:00Z';
    const result = await simulator.writeDmsWindow(
      request(from, '2025-03-30T22:00:00Z', { fullLoad: true, tables: ['customers', 'orders'] }),
    );
    const snapshot = shopSnapshotAt(SEED, new Date(from), options);
    expect(Object.keys(result.perTable)).toEqual(['customers', 'orders']);
    const loadUri = result.perTable.customers!.files[0]!;
    expect(loadUri).toBe('s3://lake/bronze/cdc/shop/customers/2025/03/30/LOAD00000001.parquet');
    const loaded = await readParquetFile(lake.resolve(loadUri));
    expect(loaded.length).toBe(snapshot.customers.length);
    expect(loaded.every((row) => row.Op === 'I' && row._commit_ts === new Date(from).toISOString())).toBe(
      true,
    );
    expect(loaded.map((row) => row.customer_id)).toEqual(snapshot.customers.map((row) => row.customer_id));
    expect(loaded[0]).toEqual({
      Op: 'I',
      _commit_ts: new Date(from).toISOString(),
      ...snapshot.customers[0],
      updated_at: snapshot.customers[0]!.updated_at!.toISOString(),
    });
  });

  it('cuts CDC files every CdcMaxBatchInterval of commit time from the window start: an hour, or a day', async () => {
    // 2025-03-10 in Berlin (UTC+1): 23:00Z on the 9th to 23:00Z on the 10th.
    const day = request('2025-03-09T23:00:00Z', '2025-03-10T23:00:00Z');
    const hourly = await simulator.writeDmsWindow(day);
    const daily = await simulator.writeDmsWindow({
      ...day,
      cdcMaxBatchInterval: 86_400,
      outputUri: 's3://lake/bronze/daily/',
    });
    for (const table of TABLES) {
      const hours = new Set(
        shopChangeLog(SEED, day.fromUtc, day.toUtc, options)
          .filter((change) => change.table === table)
          .map((change) => change.commitTs.toISOString().slice(0, 13)),
      );
      expect(hourly.perTable[table]!.files).toHaveLength(hours.size);
      expect(hours.size).toBeGreaterThan(1);
      expect(daily.perTable[table]!.files).toHaveLength(1);
      expect(daily.perTable[table]!.files[0]).toMatch(
        new RegExp(`^s3://lake/bronze/daily/shop/${table}/2025/03/10/\\d{8}-\\d{9}\\.parquet$`),
      );
      expect(await tableRows(table, join(lake.dir, 'lake/bronze/daily/shop'))).toEqual(
        await tableRows(table),
      );
    }
  });

  it('writes nothing for a table without changes and reports the window start as last commit', async () => {
    const result = await simulator.writeDmsWindow(request('2025-02-01T00:00:00Z', '2025-02-02T00:00:00Z'));
    expect(result.perTable.customers).toEqual({ rows: 0, files: [] });
    expect(result.lastCommitUtc).toBe('2025-02-01T00:00:00.000Z');
    expect((await filesWithBytes(lake.dir)).size).toBe(0);
  });

  it('rejects a bad request naming the field', async () => {
    await expect(
      simulator.writeDmsWindow(request('2025-03-02T00:00:00Z', '2025-03-01T00:00:00Z')),
    ).rejects.toThrow(/toUtc .* is before fromUtc/);
    await expect(
      simulator.writeDmsWindow(
        request('2025-03-01T00:00:00Z', '2025-03-02T00:00:00Z', { tables: ['invoices'] }),
      ),
    ).rejects.toThrow(/tables: unknown table 'invoices'/);
    await expect(
      simulator.writeDmsWindow(
        request('2025-03-01T00:00:00Z', '2025-03-02T00:00:00Z', { partitionTimeZone: 'Mars/Olympus' }),
      ),
    ).rejects.toThrow(/unknown IANA time zone 'Mars\/Olympus'/);
    await expect(
      simulator.writeDmsWindow(
        request('2025-03-01T00:00:00Z', '2025-03-02T00:00:00Z', { outputUri: '/tmp/x' }),
      ),
    ).rejects.toThrow(/outputUri must be an s3:\/\/ prefix/);
    await expect(
      simulator.writeDmsWindow(
        request('2025-03-01T00:00:00Z', '2025-03-02T00:00:00Z', { cdcMaxBatchInterval: 0.5 }),
      ),
    ).rejects.toThrow(/cdcMaxBatchInterval must be a whole number of seconds >= 1, got 0.5/);
  });
});

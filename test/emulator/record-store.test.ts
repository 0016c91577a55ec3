import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordStore } from '../../emulator/runtime/record-store';

interface Run {
  id: string;
  state: string;
  sql?: string;
}

let dir: string;
const open = () =>
  RecordStore.open<Run>(dir, {
    idOf: (run) => run.id,
    persisted: ({ sql: _sql, ...kept }) => kept,
  });

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'medallion-record-store-')), 'runs');
});
afterEach(() => rm(join(dir, '..'), { recursive: true, force: true }));

describe('RecordStore', () => {
  it('reopens the records in the order they were first saved, without those removed', async () => {
    const store = await open();
    const runs: Run[] = ['b', 'a', 'c', 'd'].map((id) => ({ id, state: 'RUNNING', sql: 'SELECT 1' }));
    for (const run of runs) await store.save(run);
    runs[0]!.state = 'SUCCEEDED';
    await store.save(runs[0]!);
    await store.remove(runs[2]!);

    const reopened = await open();
    expect(reopened.loaded).toEqual([
      { id: 'b', state: 'SUCCEEDED' },
      { id: 'a', state: 'RUNNING' },
      { id: 'd', state: 'RUNNING' },
    ]);
    // a record saved after reopening comes after the loaded ones
    await reopened.save({ id: 'e', state: 'RUNNING' });
    expect((await open()).loaded.map((run) => run.id)).toEqual(['b', 'a', 'd', 'e']);
  });

  it('keeps one file per record, so a change rewrites only that record', async () => {
    const store = await open();
    const run: Run = { id: 'jr/1 x', state: 'STARTING' };
    await store.save({ id: 'other', state: 'SUCCEEDED' });
    await store.save(run);
    expect((await readdir(dir)).sort()).toEqual([`${encodeURIComponent('jr/1 x')}.json`, 'other.json']);
    const before = await readFile(join(dir, 'other.json'), 'utf8');
    run.state = 'RUNNING';
    await store.save(run);
    expect(await readFile(join(dir, 'other.json'), 'utf8')).toBe(before);
  });

  it('writes the latest state when saves pile up, and a removal after them wins', async () => {
    const store = await open();
    const run: Run = { id: 'r', state: 'S0' };
    const saves: Promise<void>[] = [];
    for (let step = 1; step <= 20; step++) {
      run.state = `S${step}`;
      saves.push(store.save(run));
    }
    await Promise.all(saves);
    expect((await open()).loaded).toEqual([{ id: 'r', state: 'S20' }]);

    run.state = 'S21';
    const last = [store.save(run), store.remove(run)];
    await Promise.all(last);
    expect(await readdir(dir)).toEqual([]);
  });

  it('drops a temporary file a crash left, and names a damaged record file', async () => {
    const store = await open();
    await store.save({ id: 'kept', state: 'RUNNING' });
    await writeFile(join(dir, '.kept.json.123.4.tmp'), '{"seq": 0, "rec');
    expect((await open()).loaded).toEqual([{ id: 'kept', state: 'RUNNING' }]);
    expect(await readdir(dir)).toEqual(['kept.json']);

    await writeFile(join(dir, 'kept.json'), '{"seq": 0, "rec');
    await expect(open()).rejects.toThrow(`cannot read emulator state ${join(dir, 'kept.json')}`);
  });

  it('adopts the records an older emulator kept in its state file, once', async () => {
    const store = await open();
    await store.save({ id: 'new', state: 'RUNNING' });
    const legacy: Run[] = [
      { id: 'old-1', state: 'SUCCEEDED' },
      { id: 'new', state: 'STALE' },
      { id: 'old-2', state: 'FAILED' },
    ];
    const reopened = await open();
    expect((await reopened.adopt(legacy)).map((run) => `${run.id}:${run.state}`)).toEqual([
      'new:RUNNING',
      'old-1:SUCCEEDED',
      'old-2:FAILED',
    ]);
    expect((await open()).loaded.map((run) => run.id)).toEqual(['new', 'old-1', 'old-2']);
  });
});

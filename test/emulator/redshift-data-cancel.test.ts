/**
 * A statement cancelled right after it was PICKED must never run (Redshift Data CancelStatement: the
 * statement ends ABORTED), and the statement after it must run exactly once. The statement executor
 * checks in execute() whether a CancelStatement ended the statement after its PICKED record was saved:
 * an execution scheduled without that look crashes on the freed lane or runs the next statement twice.
 */
import {
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
} from '@aws-sdk/client-redshift-data';
import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator/start-emulator';
import { FAST_TIMING, newDataDir, sdkClients, waitFor } from '../support/emulator-fixture';
import { FakeRunner, FakeSources } from '../support/fake-data-plane';

const target = { WorkgroupName: 'medallion', Database: 'shop' };
let emulator: RunningEmulator;
let redshift: ReturnType<typeof sdkClients>['redshift'];
/** What the emulator logged as errors: background work that threw. */
const errors: string[] = [];

beforeAll(async () => {
  const logged = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = chunk.toString('utf8');
      if (line.includes('"level":50')) errors.push(line);
      done();
    },
  });
  emulator = await startEmulator({
    dataDir: await newDataDir(),
    config: { timing: FAST_TIMING, redshift: { workgroups: [{ name: 'medallion', databases: ['shop'] }] } },
    sources: new FakeSources(),
    runJobManifest: new FakeRunner().run,
    logger: pino({ level: 'warn' }, logged),
  });
  redshift = sdkClients(emulator.endpoint).redshift;
});
afterAll(async () => {
  await emulator.stop();
  await rm(emulator.dataDir, { recursive: true, force: true });
});

const execute = async (Sql: string) =>
  (await redshift.send(new ExecuteStatementCommand({ ...target, Sql }))).Id!;
const statusOf = async (Id: string) => (await redshift.send(new DescribeStatementCommand({ Id }))).Status!;
const untilDone = (Id: string) =>
  waitFor(
    () => statusOf(Id),
    (s) => ['FINISHED', 'FAILED', 'ABORTED'].includes(s),
  );

it('a statement cancelled while PICKED never runs, and the next one runs exactly once', async () => {
  expect(await untilDone(await execute('CREATE TABLE ran (n INTEGER)'))).toBe('FINISHED');
  const cancelled: string[] = [];
  for (let i = 0; i < 5; i += 1) {
    const id = await execute(`INSERT INTO ran VALUES (${i})`);
    // Cancel as soon as the statement leaves SUBMITTED: the PICKED step is still saving its record.
    await waitFor(
      () => statusOf(id),
      (s) => s !== 'SUBMITTED',
    );
    const { Status } = await redshift.send(new CancelStatementCommand({ Id: id }));
    expect(Status).toBe(true);
    cancelled.push(id);
    const next = await execute(`INSERT INTO ran VALUES (${100 + i})`);
    expect(await untilDone(next)).toBe('FINISHED');
  }
  const rows = await execute('SELECT n FROM ran ORDER BY n');
  expect(await untilDone(rows)).toBe('FINISHED');
  const result = await redshift.send(new GetStatementResultCommand({ Id: rows }));
  expect((result.Records ?? []).map((r) => Number(r[0]?.longValue))).toEqual([100, 101, 102, 103, 104]);
  for (const id of cancelled) expect(await statusOf(id)).toBe('ABORTED');
  expect(errors).toEqual([]);
});

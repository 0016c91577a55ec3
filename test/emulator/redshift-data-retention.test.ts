/**
 * The Data API forgets statements (24 hours after they ran); the emulator also bounds how many finished
 * ones it keeps, so months of local runs do not grow the state it rewrites on every statement.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DescribeStatementCommand,
  type DescribeStatementResponse,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type TestEmulator, startTestEmulator, waitFor } from '../support/emulator-fixture';

const target = { WorkgroupName: 'medallion', Database: 'shop' };
let t: TestEmulator;

beforeAll(async () => {
  t = await startTestEmulator({
    redshift: { workgroups: [{ name: 'medallion', databases: ['shop'] }], finishedStatementsKept: 2 },
  });
});
afterAll(() => t.close());

async function run(name: string): Promise<string> {
  const { Id } = await t.clients.redshift.send(
    new ExecuteStatementCommand({ ...target, Sql: `SELECT '${name}' AS s`, StatementName: name }),
  );
  await waitFor(
    () => t.clients.redshift.send(new DescribeStatementCommand({ Id })),
    (d: DescribeStatementResponse) => d.Status === 'FINISHED',
  );
  return Id!;
}

it('keeps the configured number of finished statements, with their results, and forgets older ones', async () => {
  const ids = [];
  for (const name of ['first', 'second', 'third', 'fourth']) ids.push(await run(name));

  // Submitting the fourth forgot the first: three finished statements would exceed the two kept.
  await expect(t.clients.redshift.send(new DescribeStatementCommand({ Id: ids[0] }))).rejects.toBeInstanceOf(
    ResourceNotFoundException,
  );
  await expect(t.clients.redshift.send(new GetStatementResultCommand({ Id: ids[0] }))).rejects.toBeInstanceOf(
    ResourceNotFoundException,
  );
  const listed = await t.clients.redshift.send(new ListStatementsCommand({ Status: 'ALL' }));
  expect(listed.Statements?.map((s) => s.StatementName)).toEqual(['fourth', 'third', 'second']);
  const result = await t.clients.redshift.send(new GetStatementResultCommand({ Id: ids[1] }));
  expect(result.Records).toEqual([[{ stringValue: 'second' }]]);
});

it('does not rewrite the SQL of finished statements into its state, yet still describes them', async () => {
  const id = await run('remembered');
  const described = await t.clients.redshift.send(new DescribeStatementCommand({ Id: id }));
  expect(described.QueryString).toBe("SELECT 'remembered' AS s");
  // The save that follows FINISHED may land just after DescribeStatement reports it.
  const record = await waitFor(
    () => readFile(join(t.dataDir, 'state', 'redshift-data-statements', `${id}.json`), 'utf8'),
    // the statement's own status: its sub-statement reads FINISHED a save earlier
    (text) => (JSON.parse(text) as { record: { status: string } }).record.status === 'FINISHED',
  );
  expect(record).not.toContain("SELECT 'remembered'");
  expect(record).toContain(id);
});

it('forgets a statement 24 hours after it ended, on the emulator clock: ResourceNotFoundException', async () => {
  // The Data API keeps statements and results 24 hours (https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html).
  const id = await run('day-old');
  const realNow = Date.now.bind(Date);
  const later = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 24 * 60 * 60_000 + 1_000);
  try {
    await expect(t.clients.redshift.send(new DescribeStatementCommand({ Id: id }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(t.clients.redshift.send(new GetStatementResultCommand({ Id: id }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    const listed = await t.clients.redshift.send(new ListStatementsCommand({ Status: 'ALL' }));
    expect(listed.Statements?.map((s) => s.Id)).not.toContain(id);
  } finally {
    later.mockRestore();
  }
  expect((await t.clients.redshift.send(new DescribeStatementCommand({ Id: id }))).Status).toBe('FINISHED');
});

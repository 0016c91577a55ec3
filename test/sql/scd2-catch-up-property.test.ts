import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDimensionTablesSql, SCD2_STATS_COUNT_COLUMNS } from '../../core/sql';
import {
  type Row,
  type WarehouseEngine,
  createDuckDbEngine,
  createPostgresEngine,
} from '../support/sql/engines';
import { type StagedMember, scd2MergeBatchStatements } from '../support/sql/scd2-harness';
import {
  type GeneratedChange,
  changeArbitrary,
  randomChangesDimension,
  stagedRowsOf,
  timestampAt,
} from '../support/sql/scd2-random-changes';
import { type SnapshotColumn, readTable } from '../support/sql/snapshots';
import { propertyRuns } from '../support/property-runs';

/**
 * Catch-up merges (several dates in one transaction) against merging the same dates one by one, on
 * random change histories: deletes, resurrections, late rows (each date's times overlap the previous
 * dates'), duplicate orderBy values within and across dates, NULL attributes, sequences and keys,
 * invalid operations. One property run is a GROUP of histories sharing the dates and how they are
 * split into merges: the business key is (hist, k), so histories never share a key, and each merge
 * applies every history's changes of its dates at once (one SQL run for thousands of histories). Each
 * history has changes on a random window of the group's dates, so within one group the histories see
 * different numbers of dates and different split points (a merge may start before its first date or
 * end after its last).
 *
 * Per group: table `o` merges dates d1..dn one by one; table `c` merges them in consecutive chunks at
 * random split points, and before a chunk's merge a random prefix of its dates is merged alone (a
 * date the daily run merged already: the chunk must leave it out). Both must hold the same dimension
 * rows (surrogate keys and batch ids included), watermarks, late changes, per-date statistics and
 * ledger rows. Finally the last chunk's merge runs again: a replay changes nothing.
 *
 * Runs: SCD2_CATCH_UP_RUNS histories per engine (default 10000); SCD2_CATCH_UP_GROUP histories per
 * group (default 2500 on DuckDB, 1000 on PostgreSQL). The fast loop checks a sample
 * (test/support/property-runs.ts).
 */
const SCHEMA = 'catchup';
const MAX_DATES = 6;

/** Changes on the group's dates start..start+length-1 (taken modulo the group's dates). */
interface GeneratedHistory {
  start: number;
  length: number;
  dates: GeneratedChange[][];
}
const historyArbitrary: fc.Arbitrary<GeneratedHistory> = fc.record({
  start: fc.nat(),
  length: fc.nat(),
  dates: fc.array(fc.array(changeArbitrary({ nullSequences: true }), { maxLength: 5 }), {
    minLength: MAX_DATES,
    maxLength: MAX_DATES,
  }),
});

/** The group dates a history has changes on. */
function windowOf(history: GeneratedHistory, dates: number): { start: number; end: number } {
  const start = history.start % dates;
  return { start, end: start + 1 + (history.length % (dates - start)) };
}

interface Group {
  dates: number;
  /** splitAfter[i]: a merge ends after date i. */
  splitAfter: boolean[];
  /** Per chunk: how many of its first dates were merged alone before it (modulo its length). */
  mergedAlone: number[];
  deletePolicy: 'close' | 'tombstone';
  lateArriving: 'ignore' | 'quarantine';
  histories: GeneratedHistory[];
}

function groupArbitrary(size: number): fc.Arbitrary<Group> {
  return (
    fc
      .record({
        // Mostly several dates per merge: single-date merges are what scd2-property.test.ts checks.
        dates: fc.integer({ min: 2, max: MAX_DATES }),
        splitAfter: fc.array(
          fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
          { minLength: MAX_DATES, maxLength: MAX_DATES },
        ),
        mergedAlone: fc.array(fc.nat(), { minLength: MAX_DATES, maxLength: MAX_DATES }),
        deletePolicy: fc.constantFrom('close' as const, 'tombstone' as const),
        lateArriving: fc.constantFrom('ignore' as const, 'quarantine' as const),
        histories: fc.array(historyArbitrary, { minLength: size, maxLength: size }),
      })
      // The first merge takes at least dates 0 and 1, so every group has a multi-date merge: the fast
      // loop's 3 groups drew none now and then (single-date merges are scd2-property.test.ts's subject).
      .map((group) => ({ ...group, splitAfter: [false, ...group.splitAfter.slice(1)] }))
  );
}

/** Rows of each date; date i's times span [20 i, 20 i + 40] minutes, so they overlap date i - 1's. */
function stagedRows(histories: readonly GeneratedHistory[], dates: number): Row[][] {
  const perDate: Row[][] = Array.from({ length: dates }, () => []);
  histories.forEach((history, index) => {
    let sequence = 0;
    const { start, end } = windowOf(history, dates);
    for (let date = start; date < end; date += 1) {
      for (const change of history.dates[date - start]!) {
        sequence += 1;
        perDate[date]!.push(...stagedRowsOf(index + 1, change, date * 20 + change.minute, sequence));
      }
    }
  });
  return perDate;
}

const dimensionSpec = (table: string, group: Group) => randomChangesDimension(SCHEMA, table, group);

const columns = (names: string[], booleans: string[] = []): SnapshotColumn[] =>
  [...names, ...booleans].map((name) => ({ name, ...(booleans.includes(name) ? { boolean: true } : {}) }));

/** Everything a merge writes for `table`, read so that both tables' snapshots compare equal. */
async function snapshot(engine: WarehouseEngine, table: string, group: Group) {
  const where = `table_name = '${SCHEMA}.${table}'`;
  return {
    dimension: await readTable(
      engine,
      SCHEMA,
      table,
      columns(
        [
          'surrogate_key',
          'hist',
          'k',
          'name',
          'score',
          'note',
          'valid_from',
          'valid_to',
          'row_hash',
          'batch_id',
          'closed_batch_id',
        ],
        ['is_current', 'is_deleted'],
      ),
      ['hist', 'k', 'valid_from'],
    ),
    watermarks: await readTable(
      engine,
      SCHEMA,
      `${table}_watermarks`,
      columns(['hist', 'k', 'last_change_at', 'batch_id']),
      ['hist', 'k'],
    ),
    late:
      group.lateArriving === 'quarantine'
        ? await readTable(
            engine,
            SCHEMA,
            `${table}_late_changes`,
            columns(['hist', 'k', 'name', 'score', 'note', 'changed_at', '_op', 'seq', 'batch_id']),
            ['hist', 'k', 'changed_at', '_op', 'seq', 'batch_id'],
          )
        : [],
    stats: await readTable(
      engine,
      SCHEMA,
      'medallion_scd2_stats',
      columns(['logical_date', 'batch_id', ...SCD2_STATS_COUNT_COLUMNS]),
      ['logical_date', 'batch_id'],
      where,
    ),
    ledger: await readTable(
      engine,
      SCHEMA,
      'medallion_load_ledger',
      columns(['logical_date', 'batch_id', 'rows']),
      ['logical_date', 'batch_id'],
      where,
    ),
  };
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/** The dates of each merge of the catch-up table: consecutive chunks ending where splitAfter says. */
function chunksOf(group: Group): number[][] {
  const chunks: number[][] = [[]];
  for (let date = 0; date < group.dates; date += 1) {
    chunks.at(-1)!.push(date);
    if (group.splitAfter[date] && date < group.dates - 1) chunks.push([]);
  }
  return chunks;
}

const NOTHING_SEEN = {
  multiDateMerges: 0,
  skippedMembers: 0,
  late: 0,
  replayed: 0,
  closed: 0,
  typeOne: 0,
  superseded: 0,
};
/** What the whole run saw, so the test can show its histories exercised what it claims. */
const seen = { ...NOTHING_SEEN };

let tableCounter = 0;

async function checkGroup(engine: WarehouseEngine, group: Group): Promise<void> {
  tableCounter += 1;
  const oneByOne = `o${tableCounter}`;
  const catchUp = `c${tableCounter}`;
  const rows = stagedRows(group.histories, group.dates);
  const member = (date: number): StagedMember => ({
    batch: { logicalDate: timestampAt(date * 1440).slice(0, 10), batchId: `run-${date}` },
    rows: rows[date]!,
  });
  const merge = async (table: string, dates: number[]) =>
    engine.transaction(
      await scd2MergeBatchStatements(engine, dimensionSpec(table, group), dates.map(member), 'insert'),
    );
  for (const table of [oneByOne, catchUp])
    await engine.transaction(createDimensionTablesSql(dimensionSpec(table, group), engine.dialect));

  for (let date = 0; date < group.dates; date += 1) await merge(oneByOne, [date]);

  const chunks = chunksOf(group);
  for (const [index, chunk] of chunks.entries()) {
    const alone = group.mergedAlone[index]! % chunk.length;
    for (const date of chunk.slice(0, alone)) await merge(catchUp, [date]);
    await merge(catchUp, chunk);
    if (chunk.length > 1) seen.multiDateMerges += 1;
    seen.skippedMembers += alone;
  }

  const expected = await snapshot(engine, oneByOne, group);
  const actual = await snapshot(engine, catchUp, group);
  if (!isDeepEqual(actual, expected)) throw new Error(describeDifference(group, chunks, actual, expected));
  for (const stats of expected.stats) {
    seen.late += Number(stats.changes_late);
    seen.replayed += Number(stats.changes_replayed);
    seen.closed += Number(stats.versions_closed);
    seen.typeOne += Number(stats.type1_updates);
    seen.superseded += Number(stats.changes_superseded);
  }

  await merge(catchUp, chunks.at(-1)!);
  expect(await snapshot(engine, catchUp, group), 'the last catch-up merge again is a no-op').toEqual(actual);
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    expect(a).toEqual(b);
    return true;
  } catch {
    return false;
  }
}

/** Names the first history whose rows differ, with its changes, so a failure can be replayed by hand. */
function describeDifference(group: Group, chunks: number[][], actual: Snapshot, expected: Snapshot): string {
  const { histories: _histories, ...shape } = group;
  const parts = ['dimension', 'watermarks', 'late'] as const;
  for (let hist = 1; hist <= group.histories.length; hist += 1) {
    for (const part of parts) {
      const mine = (snap: Snapshot) => snap[part].filter((row) => row.hist === String(hist));
      if (!isDeepEqual(mine(actual), mine(expected))) {
        return (
          `catch-up merges ${JSON.stringify(chunks)} differ from one-by-one merges in ${part} of history ${hist} ` +
          `(group ${JSON.stringify(shape)}); its window ${JSON.stringify(
            windowOf(group.histories[hist - 1]!, group.dates),
          )} and changes per date of it: ${JSON.stringify(group.histories[hist - 1]!.dates)}\ncatch-up: ${JSON.stringify(mine(actual))}\none by one: ${JSON.stringify(mine(expected))}`
        );
      }
    }
  }
  return (
    `catch-up merges ${JSON.stringify(chunks)} differ from one-by-one merges in the statistics or ledger ` +
    `(group ${JSON.stringify(shape)}):\ncatch-up: ${JSON.stringify({ stats: actual.stats, ledger: actual.ledger })}\n` +
    `one by one: ${JSON.stringify({ stats: expected.stats, ledger: expected.ledger })}`
  );
}

const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;

const ENGINES = [
  {
    name: 'duckdb dialect on DuckDB',
    create: createDuckDbEngine,
    ...propertyRuns({ runs: 10_000, group: 2500 }, 'SCD2_CATCH_UP_RUNS', 'SCD2_CATCH_UP_GROUP'),
  },
  {
    name: 'redshift dialect on PostgreSQL (PGlite)',
    create: createPostgresEngine,
    ...propertyRuns({ runs: 10_000, group: 1000 }, 'SCD2_CATCH_UP_RUNS', 'SCD2_CATCH_UP_GROUP'),
  },
];

describe.each(ENGINES)(
  'catch-up SCD2 merges equal one-by-one merges: $name',
  ({ create, runs, group, label }) => {
    let engine: WarehouseEngine;
    beforeAll(async () => {
      engine = await create();
      await engine.transaction([`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`]);
    });
    afterAll(async () => {
      await engine.close();
    });

    it(`holds for ${label}`, { timeout: 600_000 }, async () => {
      const started = Date.now();
      const cpu = process.cpuUsage();
      Object.assign(seen, NOTHING_SEEN);
      // Groups are not shrunk (each step would rerun thousands of histories); a failure names the
      // first history that differs and its changes.
      await fc.assert(
        fc.asyncProperty(groupArbitrary(group), (generated) => checkGroup(engine, generated)),
        { numRuns: Math.ceil(runs / group), endOnFailure: true },
      );
      console.info(
        `SCD2 catch-up property: ${runs} histories in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
          `(${cpuSeconds(process.cpuUsage(cpu)).toFixed(1)} CPU-s in this process); ${JSON.stringify(seen)}`,
      );
      // The histories exercised what this test is about.
      expect(seen.multiDateMerges).toBeGreaterThan(0);
      expect(seen.late).toBeGreaterThan(0);
      expect(seen.replayed).toBeGreaterThan(0);
      expect(seen.closed).toBeGreaterThan(0);
      expect(seen.typeOne).toBeGreaterThan(0);
      expect(seen.superseded).toBeGreaterThan(0);
    });
  },
);

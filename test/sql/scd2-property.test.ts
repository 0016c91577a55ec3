import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDimensionTablesSql, scd2BatchCountsSql } from '../../core/sql';
import {
  type Row,
  type Value,
  type WarehouseEngine,
  createDuckDbEngine,
  createPostgresEngine,
} from '../support/sql/engines';
import { scd2BatchStatements } from '../support/sql/scd2-harness';
import { MODEL_OPEN_VALID_TO, type ModelSpec, type ModelStats, Scd2Model } from '../support/sql/scd2-model';
import {
  type GeneratedChange,
  changeArbitrary,
  randomChangesDimension,
  stagedRowsOf,
  timestampAt,
} from '../support/sql/scd2-random-changes';
import { SCD2_VERSION_COLUMNS, type SnapshotColumn, readTable, toCounts } from '../support/sql/snapshots';
import { propertyRuns } from '../support/property-runs';

/**
 * Random change histories against the reference model (test/support/sql/scd2-model.ts). To keep thousands of
 * histories fast, one property run merges a GROUP of histories into one fresh dimension: the business
 * key is (hist, k), so histories never share a key and one merge statement batch applies round r of
 * every history at once. Each history is a list of steps: a batch of new changes, or the changes of one
 * of its earlier batches again (a replay under a new batch id). One round per group is also replayed
 * under its own batch id (a ledger replay).
 *
 * Runs: SCD2_PROPERTY_RUNS_DUCKDB (default 10000) and SCD2_PROPERTY_RUNS_PG (default 1000) histories;
 * SCD2_PROPERTY_GROUP histories per property run (default 500 on DuckDB, 100 on PostgreSQL). The fast
 * loop checks a sample (test/support/property-runs.ts).
 */
const SCHEMA = 'prop';

type GeneratedStep = { kind: 'new'; changes: GeneratedChange[] } | { kind: 'repeat'; of: number };

const stepArbitrary: fc.Arbitrary<GeneratedStep> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('new' as const),
      changes: fc.array(changeArbitrary({ nullSequences: false }), { maxLength: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('repeat' as const), of: fc.nat() }) },
);

const historyArbitrary = fc.array(stepArbitrary, { minLength: 1, maxLength: 5 });

interface Group {
  histories: GeneratedStep[][];
  deletePolicy: ModelSpec['deletePolicy'];
  lateArriving: ModelSpec['lateArriving'];
  ledgerReplay: { after: number; round: number };
}

/** Exactly `size` histories, so the run count is a count of histories; each shrinks on its own. */
function groupArbitrary(size: number): fc.Arbitrary<Group> {
  return fc.record({
    histories: fc.array(historyArbitrary, { minLength: size, maxLength: size }),
    deletePolicy: fc.constantFrom('close' as const, 'tombstone' as const),
    lateArriving: fc.constantFrom('ignore' as const, 'quarantine' as const),
    ledgerReplay: fc.record({ after: fc.nat(), round: fc.nat() }),
  });
}

interface Step {
  repeat: boolean;
  rows: Row[];
}

/** Turns a generated history into staged rows: times drift forward per step, so some arrive late. */
function materialize(hist: number, steps: readonly GeneratedStep[]): Step[] {
  let sequence = 0;
  const result: Step[] = [];
  steps.forEach((step, index) => {
    if (step.kind === 'repeat') {
      if (index === 0) result.push({ repeat: false, rows: [] });
      else result.push({ repeat: true, rows: result[step.of % index]!.rows });
      return;
    }
    const rows = step.changes.flatMap((change) => {
      sequence += 1;
      return stagedRowsOf(hist, change, index * 20 + change.minute, sequence);
    });
    result.push({ repeat: false, rows });
  });
  return result;
}

const DIMENSION_COLUMNS: readonly SnapshotColumn[] = [
  ...['hist', 'k', 'name', 'score', 'note'].map((name) => ({ name })),
  ...SCD2_VERSION_COLUMNS,
];

const text = (value: Value | undefined) => (value === null || value === undefined ? null : String(value));
const byKeyAndTime = (a: Row, b: Row) =>
  Number(a.hist) - Number(b.hist) ||
  Number(a.k) - Number(b.k) ||
  String(a.valid_from ?? a.changed_at).localeCompare(String(b.valid_from ?? b.changed_at)) ||
  Number(a.seq ?? 0) - Number(b.seq ?? 0);

/** Invariants that hold whatever the model says: one current row, ordered, gap-free (but for 'close'). */
function checkInvariants(
  rows: readonly (Row & { surrogate_key?: unknown })[],
  deletePolicy: ModelSpec['deletePolicy'],
) {
  const byKey = new Map<string, Row[]>();
  for (const row of rows) {
    const key = `${row.hist}/${row.k}`;
    byKey.set(key, [...(byKey.get(key) ?? []), row]);
  }
  for (const [key, versions] of byKey) {
    const sorted = [...versions].sort(byKeyAndTime);
    const current = sorted.filter((row) => row.is_current);
    expect(current.length, `key ${key}: at most one current row`).toBeLessThanOrEqual(1);
    sorted.forEach((row, index) => {
      const next = sorted[index + 1];
      expect(String(row.valid_from) < String(row.valid_to), `key ${key}: non-empty interval`).toBe(true);
      expect(row.is_current, `key ${key}: only the open version is current`).toBe(
        row.valid_to === MODEL_OPEN_VALID_TO,
      );
      if (deletePolicy === 'close')
        expect(row.is_deleted, `key ${key}: no tombstones under close`).toBe(false);
      if (!next) return;
      expect(row.is_current, `key ${key}: the current version is the last`).toBe(false);
      if (deletePolicy === 'tombstone') {
        expect(row.valid_to, `key ${key}: no gap between versions`).toBe(next.valid_from);
      } else {
        expect(String(row.valid_to) <= String(next.valid_from), `key ${key}: no overlap`).toBe(true);
      }
    });
  }
}

let tableCounter = 0;

async function checkGroup(engine: WarehouseEngine, group: Group) {
  tableCounter += 1;
  const table = `dim_prop_${tableCounter}`;
  const spec = randomChangesDimension(SCHEMA, table, group);
  const model = new Scd2Model({
    businessKey: ['hist', 'k'],
    tracked: ['name', 'score'],
    typeOne: ['note'],
    orderBy: 'changed_at',
    operationColumn: '_op',
    sequenceColumn: 'seq',
    deletePolicy: group.deletePolicy,
    lateArriving: group.lateArriving,
  });
  await engine.transaction(createDimensionTablesSql(spec, engine.dialect));
  const histories = group.histories.map((steps, index) => materialize(index + 1, steps));
  const rounds = Math.max(...histories.map((steps) => steps.length));
  const batchOf = (round: number) => ({
    logicalDate: timestampAt(round * 1440).slice(0, 10),
    batchId: `round-${round}`,
  });
  const roundRows = (round: number) => histories.flatMap((steps) => steps[round]?.rows ?? []);
  const readDimension = async () =>
    (await readTable(engine, SCHEMA, table, DIMENSION_COLUMNS, ['hist', 'k', 'valid_from'])).sort(
      byKeyAndTime,
    );
  const readEverything = async () => ({
    dimension: await readDimension(),
    watermarks: await readTable(
      engine,
      SCHEMA,
      `${table}_watermarks`,
      [{ name: 'hist' }, { name: 'k' }, { name: 'last_change_at' }],
      ['hist', 'k'],
    ),
    stats: await engine.query(`SELECT COUNT(*) AS n FROM ${SCHEMA}.medallion_scd2_stats`),
    ledger: await engine.query(`SELECT COUNT(*) AS n FROM ${SCHEMA}.medallion_load_ledger`),
  });
  const expectedStats: ModelStats[] = [];

  for (let round = 0; round < rounds; round += 1) {
    const repeating = histories.flatMap((steps, index) => (steps[round]?.repeat ? [index + 1] : []));
    const before = repeating.length > 0 ? await readDimension() : [];
    await engine.transaction(
      await scd2BatchStatements(engine, spec, batchOf(round), roundRows(round), 'insert'),
    );
    expectedStats.push(model.apply(batchOf(round).batchId, roundRows(round)));
    if (repeating.length > 0) {
      const after = await readDimension();
      for (const hist of repeating) {
        expect(
          after.filter((row) => row.hist === String(hist)),
          `history ${hist}: replay under a new batch id changes nothing`,
        ).toEqual(before.filter((row) => row.hist === String(hist)));
      }
    }
    if (round === group.ledgerReplay.after % rounds) {
      const replayed = group.ledgerReplay.round % (round + 1);
      const snapshot = await readEverything();
      await engine.transaction(
        await scd2BatchStatements(engine, spec, batchOf(replayed), roundRows(replayed), 'insert'),
      );
      expect(await readEverything(), `replay of round ${replayed} under its own batch id is a no-op`).toEqual(
        snapshot,
      );
    }
  }

  const actual = await readDimension();
  const expected = model
    .versions()
    .map((version) => ({
      hist: text(version.key.hist),
      k: text(version.key.k),
      name: text(version.values.name),
      score: text(version.values.score),
      note: text(version.values.note),
      valid_from: version.validFrom,
      valid_to: version.validTo,
      is_current: version.isCurrent,
      is_deleted: version.isDeleted,
      batch_id: version.batchId,
      closed_batch_id: version.closedBatchId,
    }))
    .sort(byKeyAndTime);
  expect(actual).toEqual(expected);
  checkInvariants(actual, group.deletePolicy);

  const surrogateKeys = await engine.query(
    `SELECT COUNT(*) AS n, COUNT(DISTINCT surrogate_key) AS d FROM ${SCHEMA}.${table}`,
  );
  expect(Number(surrogateKeys[0]!.n)).toBe(Number(surrogateKeys[0]!.d));

  const watermarks = await readTable(
    engine,
    SCHEMA,
    `${table}_watermarks`,
    [{ name: 'hist' }, { name: 'k' }, { name: 'last_change_at' }],
    ['hist', 'k'],
  );
  expect(watermarks.sort(byKeyAndTime)).toEqual(
    model
      .watermarks()
      .map((mark) => ({ hist: text(mark.key.hist), k: text(mark.key.k), last_change_at: mark.lastChangeAt }))
      .sort(byKeyAndTime),
  );

  for (let round = 0; round < rounds; round += 1) {
    const [counts] = await engine.query(scd2BatchCountsSql(spec, batchOf(round), engine.dialect));
    expect(toCounts(counts!), `statistics of round ${round}`).toEqual(expectedStats[round]);
    const [opened] = await engine.query(
      `SELECT COUNT(*) AS n FROM ${SCHEMA}.${table} WHERE batch_id = 'round-${round}'`,
    );
    const [closed] = await engine.query(
      `SELECT COUNT(*) AS n FROM ${SCHEMA}.${table} WHERE closed_batch_id = 'round-${round}'`,
    );
    expect(Number(opened!.n)).toBe(expectedStats[round]!.versions_opened);
    expect(Number(closed!.n)).toBe(expectedStats[round]!.versions_closed);
  }

  if (group.lateArriving === 'quarantine') {
    const late = await readTable(
      engine,
      SCHEMA,
      `${table}_late_changes`,
      ['hist', 'k', 'name', 'score', 'note', 'changed_at', '_op', 'seq', 'batch_id'].map((name) => ({
        name,
      })),
      ['hist', 'k', 'changed_at', 'seq'],
    );
    expect(late.sort(byKeyAndTime)).toEqual(
      model
        .lateChanges()
        .map((row) => Object.fromEntries(Object.entries(row).map(([name, value]) => [name, text(value)])))
        .sort(byKeyAndTime),
    );
  }
}

const ENGINES = [
  {
    name: 'duckdb dialect on DuckDB',
    create: createDuckDbEngine,
    ...propertyRuns({ runs: 10_000, group: 500 }, 'SCD2_PROPERTY_RUNS_DUCKDB', 'SCD2_PROPERTY_GROUP'),
  },
  {
    name: 'redshift dialect on PostgreSQL',
    create: createPostgresEngine,
    ...propertyRuns({ runs: 1_000, group: 100 }, 'SCD2_PROPERTY_RUNS_PG', 'SCD2_PROPERTY_GROUP'),
  },
];

describe.each(ENGINES)('SCD2 merge matches the reference model: $name', ({ create, runs, group, label }) => {
  let engine: WarehouseEngine;
  beforeAll(async () => {
    engine = await create();
  });
  afterAll(async () => {
    await engine.close();
  });

  it(`holds for ${label}`, { timeout: 600_000 }, async () => {
    const started = Date.now();
    // No shrinking of whole groups (each step would re-run hundreds of histories); on failure the
    // failing history is isolated and shrunk on its own below.
    const result = await fc.check(
      fc.asyncProperty(groupArbitrary(group), (generated) => checkGroup(engine, generated)),
      { numRuns: Math.ceil(runs / group), endOnFailure: true },
    );
    console.info(`SCD2 property: ${runs} histories in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (result.failed)
      throw await explainFailure(engine, result.counterexample?.[0], result.seed, result.errorInstance);
  });
});

/** Finds the first history of a failing group that fails alone, shrinks it, and describes it. */
async function explainFailure(
  engine: WarehouseEngine,
  failing: Group | undefined,
  seed: number,
  cause: unknown,
) {
  if (!failing) return cause;
  const failsAlone = async (history: GeneratedStep[]) => {
    try {
      await checkGroup(engine, { ...failing, histories: [history] });
      return undefined;
    } catch (error) {
      return error;
    }
  };
  for (const history of failing.histories) {
    let error = await failsAlone(history);
    if (error === undefined) continue;
    let smallest = history;
    for (let shrunk = true; shrunk;) {
      shrunk = false;
      for (const candidate of historyArbitrary.shrink(smallest, undefined)) {
        const candidateError = await failsAlone(candidate.value);
        if (candidateError !== undefined) {
          smallest = candidate.value;
          error = candidateError;
          shrunk = true;
          break;
        }
      }
    }
    const { histories: _histories, ...policies } = failing;
    return new Error(
      `SCD2 property failed (seed ${seed}); smallest failing history ${JSON.stringify(smallest)} with ${JSON.stringify(
        policies,
      )}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return cause;
}

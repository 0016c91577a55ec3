import fc from 'fast-check';
import type { DimensionSpecInput } from '../../../core/warehouse-spec';
import type { Row } from './engines';

/**
 * The random source changes both SCD2 property tests stage: a few business keys per history (some
 * NULL), change times that collide, invalid operations, NULL attributes and exact duplicates. The
 * dimension's key is (hist, k), so histories merged into one table never share a key.
 */
export interface GeneratedChange {
  k: number | null;
  minute: number;
  op: string;
  name: string | null;
  score: number | null;
  note: string | null;
  /** The row's sequence value is NULL (ordering falls back to the time alone). */
  seqNull: boolean;
  /** The row is staged twice. */
  duplicated: boolean;
}

const rarely = <T>(usual: T, rare: T, odds: number) =>
  fc.oneof({ weight: odds, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constant(rare) });

/** `nullSequences`: whether some rows carry no sequence value. */
export function changeArbitrary(options: { nullSequences: boolean }): fc.Arbitrary<GeneratedChange> {
  return fc.record({
    k: fc.oneof(
      { weight: 30, arbitrary: fc.integer({ min: 1, max: 3 }) },
      { weight: 1, arbitrary: fc.constant(null) },
    ),
    minute: fc.integer({ min: 0, max: 40 }),
    op: fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom('I', 'U', 'U', 'D') },
      { weight: 1, arbitrary: fc.constant('X') },
    ),
    name: fc.constantFrom(null, '', 'a', 'b'),
    score: fc.constantFrom(null, 0, 1),
    note: fc.constantFrom(null, 'x', 'y'),
    seqNull: options.nullSequences ? rarely(false, true, 15) : fc.constant(false),
    duplicated: rarely(false, true, 9),
  });
}

const BASE = Date.UTC(2024, 0, 1);

/** The timestamp `minutes` after 2024-01-01 00:00 UTC, as both engines' staging reads it. */
export function timestampAt(minutes: number): string {
  return new Date(BASE + minutes * 60_000).toISOString().replace('T', ' ').slice(0, 19);
}

/**
 * The staged rows of one change of history `hist`, `minutes` into the test's time line, with its
 * `sequence` (NULL where the change says so); a duplicated change stages twice.
 */
export function stagedRowsOf(
  hist: number,
  change: GeneratedChange,
  minutes: number,
  sequence: number,
): Row[] {
  const row: Row = {
    hist,
    k: change.k,
    name: change.name,
    score: change.score,
    note: change.note,
    changed_at: timestampAt(minutes),
    _op: change.op,
    seq: change.seqNull ? null : sequence,
  };
  return change.duplicated ? [row, { ...row }] : [row];
}

/** The dimension the random changes merge into: name and score tracked, note type 1. */
export function randomChangesDimension(
  schema: string,
  table: string,
  policies: Pick<DimensionSpecInput, 'deletePolicy' | 'lateArriving'>,
): DimensionSpecInput {
  return {
    table,
    schema,
    businessKey: ['hist', 'k'],
    columns: [
      { name: 'hist', type: 'integer' },
      { name: 'k', type: 'integer' },
      { name: 'name', type: 'varchar' },
      { name: 'score', type: 'integer' },
      { name: 'note', type: 'varchar' },
    ],
    tracked: ['name', 'score'],
    orderBy: 'changed_at',
    sequenceColumn: 'seq',
    sequenceColumnType: 'bigint',
    deletePolicy: policies.deletePolicy,
    lateArriving: policies.lateArriving,
  };
}

import type { Row, Value } from './engines';

/**
 * A reference model of the SCD2 semantics, written as a plain change-by-change state machine with no
 * knowledge of the SQL's set-based formulation (events, islands, window functions). The property tests
 * compare the warehouse tables with it.
 */
export interface ModelSpec {
  businessKey: string[];
  tracked: string[];
  typeOne: string[];
  orderBy: string;
  operationColumn: string;
  sequenceColumn: string;
  deletePolicy: 'close' | 'tombstone';
  lateArriving: 'ignore' | 'quarantine';
}

export const MODEL_OPEN_VALID_TO = '9999-12-31 00:00:00';

export interface ModelVersion {
  key: Row;
  values: Row;
  validFrom: string;
  validTo: string;
  isCurrent: boolean;
  isDeleted: boolean;
  batchId: string;
  closedBatchId: string | null;
}

export interface ModelStats {
  changes_staged: number;
  changes_rejected: number;
  changes_superseded: number;
  changes_replayed: number;
  changes_late: number;
  changes_noop: number;
  versions_opened: number;
  versions_closed: number;
  type1_updates: number;
}

interface KeyHistory {
  key: Row;
  versions: ModelVersion[];
  watermark: string | null;
}

interface Change {
  id: string;
  key: Row;
  values: Row;
  ts: string;
  op: 'I' | 'U' | 'D';
  seq: Value;
  row: Row;
}

const OP_RANK = { D: 0, I: 1, U: 2 } as const;

function compareSeq(a: Value, b: Value): number {
  if (a === b) return 0;
  if (a === null) return -1; // NULL sequences lose (DESC NULLS LAST)
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

export class Scd2Model {
  private readonly histories = new Map<string, KeyHistory>();
  private readonly quarantined: Row[] = [];
  private readonly quarantinedIds = new Set<string>();

  constructor(private readonly spec: ModelSpec) {}

  apply(batchId: string, rows: readonly Row[]): ModelStats {
    const { spec } = this;
    const stats: ModelStats = {
      changes_staged: rows.length,
      changes_rejected: 0,
      changes_superseded: 0,
      changes_replayed: 0,
      changes_late: 0,
      changes_noop: 0,
      versions_opened: 0,
      versions_closed: 0,
      type1_updates: 0,
    };
    const winners = new Map<string, Change>();
    for (const row of rows) {
      const op = row[spec.operationColumn];
      const ts = row[spec.orderBy];
      if (
        spec.businessKey.some((name) => row[name] === null) ||
        ts === null ||
        (op !== 'I' && op !== 'U' && op !== 'D')
      ) {
        stats.changes_rejected += 1;
        continue;
      }
      const change = this.toChange(row, String(ts), op);
      const slot = `${change.id}@${change.ts}`;
      const incumbent = winners.get(slot);
      if (!incumbent || this.beats(change, incumbent)) winners.set(slot, change);
    }
    stats.changes_superseded = rows.length - stats.changes_rejected - winners.size;

    // Classify against the history as it was before this batch.
    const applied: Change[] = [];
    for (const change of winners.values()) {
      const history = this.history(change);
      if (history.watermark === null || change.ts > history.watermark) {
        applied.push(change);
      } else if (this.reflected(history, change)) {
        stats.changes_replayed += 1;
      } else {
        stats.changes_late += 1;
        this.quarantine(change, batchId);
      }
    }

    const typeOneBefore = new Map<ModelVersion, string>();
    for (const change of applied.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0))) {
      const history = this.history(change);
      const current = history.versions.find((version) => version.isCurrent);
      if (current && !typeOneBefore.has(current) && current.batchId !== batchId) {
        typeOneBefore.set(current, JSON.stringify(spec.typeOne.map((name) => current.values[name])));
      }
      const live = current && !current.isDeleted ? current : undefined;
      if (change.op === 'D') {
        if (!live) {
          stats.changes_noop += 1;
        } else {
          this.close(live, change.ts, batchId, stats);
          if (spec.deletePolicy === 'tombstone') {
            this.open(history, { ...live.values }, change.ts, true, batchId, stats);
          }
        }
      } else if (live && spec.tracked.every((name) => live.values[name] === change.values[name])) {
        stats.changes_noop += 1;
        for (const name of spec.typeOne) live.values[name] = change.values[name] ?? null;
      } else {
        if (current) this.close(current, change.ts, batchId, stats);
        this.open(history, { ...change.values }, change.ts, false, batchId, stats);
      }
      history.watermark = change.ts;
    }
    for (const [version, before] of typeOneBefore) {
      if (JSON.stringify(spec.typeOne.map((name) => version.values[name])) !== before)
        stats.type1_updates += 1;
    }
    return stats;
  }

  versions(): ModelVersion[] {
    return [...this.histories.values()].flatMap((history) => history.versions);
  }

  watermarks(): { key: Row; lastChangeAt: string }[] {
    return [...this.histories.values()]
      .filter((history) => history.watermark !== null)
      .map((history) => ({ key: history.key, lastChangeAt: history.watermark! }));
  }

  lateChanges(): Row[] {
    return this.quarantined;
  }

  private toChange(row: Row, ts: string, op: 'I' | 'U' | 'D'): Change {
    const key = Object.fromEntries(this.spec.businessKey.map((name) => [name, row[name] ?? null]));
    const values = Object.fromEntries(
      [...this.spec.tracked, ...this.spec.typeOne].map((name) => [name, row[name] ?? null]),
    );
    return { id: JSON.stringify(key), key, values, ts, op, seq: row[this.spec.sequenceColumn] ?? null, row };
  }

  private beats(challenger: Change, incumbent: Change): boolean {
    const bySeq = compareSeq(challenger.seq, incumbent.seq);
    if (bySeq !== 0) return bySeq > 0;
    if (challenger.op !== incumbent.op) return OP_RANK[challenger.op] > OP_RANK[incumbent.op];
    if (JSON.stringify(challenger.values) !== JSON.stringify(incumbent.values)) {
      throw new Error(
        `model: changes tie on (key, orderBy, sequence, op) with different values: ${challenger.id}`,
      );
    }
    return false;
  }

  private history(change: Change): KeyHistory {
    let history = this.histories.get(change.id);
    if (!history) {
      history = { key: change.key, versions: [], watermark: null };
      this.histories.set(change.id, history);
    }
    return history;
  }

  private reflected(history: KeyHistory, change: Change): boolean {
    const covering = history.versions.find(
      (version) => version.validFrom <= change.ts && change.ts < version.validTo,
    );
    if (change.op === 'D') return !covering || covering.isDeleted;
    return (
      covering !== undefined &&
      !covering.isDeleted &&
      this.spec.tracked.every((name) => covering.values[name] === change.values[name])
    );
  }

  private close(version: ModelVersion, at: string, batchId: string, stats: ModelStats): void {
    version.validTo = at;
    version.isCurrent = false;
    version.closedBatchId = batchId;
    stats.versions_closed += 1;
  }

  private open(
    history: KeyHistory,
    values: Row,
    at: string,
    isDeleted: boolean,
    batchId: string,
    stats: ModelStats,
  ) {
    history.versions.push({
      key: history.key,
      values,
      validFrom: at,
      validTo: MODEL_OPEN_VALID_TO,
      isCurrent: true,
      isDeleted,
      batchId,
      closedBatchId: null,
    });
    stats.versions_opened += 1;
  }

  private quarantine(change: Change, batchId: string): void {
    if (this.spec.lateArriving !== 'quarantine') return;
    const id = JSON.stringify([change.id, change.ts, change.op, change.seq]);
    if (this.quarantinedIds.has(id)) return;
    this.quarantinedIds.add(id);
    this.quarantined.push({ ...change.row, batch_id: batchId });
  }
}

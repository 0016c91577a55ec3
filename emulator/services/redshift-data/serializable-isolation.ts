/**
 * Redshift's serializable isolation, at table granularity, for the emulator's concurrent transactions.
 *
 * AWS (https://docs.aws.amazon.com/redshift/latest/dg/c_serial_isolation.html): concurrent transactions
 * are invisible to each other; when the system finds that their execution cannot be made equivalent to
 * some serial order, it aborts one with "ERROR: 1023 DETAIL: Serializable isolation violation on table
 * - <id>, transactions forming the cycle are: <xids>". Detection is per table, not per row: two
 * transactions that both read and write one table (medallion's load ledger) conflict even when they
 * touch different rows.
 *
 * Model: each transaction records the tables it read and wrote. At COMMIT the transaction is checked
 * against the transactions that committed while it ran (and those they in turn depend on):
 * - T -> U when T read a table U wrote while both ran (T did not see U's write: T is "before" U);
 * - T -> U when both wrote a table and T committed first, or when U started after T committed and
 *   touched a table T wrote.
 * A cycle through the committing transaction means no serial order exists: it aborts (first committer
 * wins). Two writers that never read the table (plain INSERTs) do not conflict: Redshift lets the second
 * wait for the first's write lock and go on.
 */
export interface TrackedTransaction {
  readonly id: string;
  /** Redshift's transaction id (xid), shown in the 1023 message. */
  readonly xid: number;
  readonly startSeq: number;
  commitSeq?: number;
  readonly reads: Set<string>;
  readonly writes: Set<string>;
}

export interface SerializationConflict {
  table: string;
  cycle: TrackedTransaction[];
}

export class SerializableIsolation {
  private seq = 0;
  private nextXid = 1000;
  private readonly active = new Map<string, TrackedTransaction>();
  private committed: TrackedTransaction[] = [];
  /** Serialization failures detected so far (tests and the chaos tier read it). */
  conflicts = 0;

  begin(id: string): TrackedTransaction {
    const tx: TrackedTransaction = {
      id,
      xid: this.nextXid++,
      startSeq: ++this.seq,
      reads: new Set(),
      writes: new Set(),
    };
    this.active.set(id, tx);
    return tx;
  }

  touch(tx: TrackedTransaction, access: { reads: Iterable<string>; writes: Iterable<string> }): void {
    for (const table of access.reads) tx.reads.add(table);
    for (const table of access.writes) tx.writes.add(table);
  }

  /**
   * Commits `tx` in the model unless that would close a cycle; returns the conflict then (the caller
   * rolls back and reports 1023). A committed transaction must still COMMIT in the engine; if that
   * fails, call `abort`.
   */
  commit(tx: TrackedTransaction): SerializationConflict | undefined {
    const conflict = this.cycleThrough(tx);
    if (conflict) {
      this.conflicts += 1;
      this.abort(tx);
      return conflict;
    }
    tx.commitSeq = ++this.seq;
    this.active.delete(tx.id);
    this.committed.push(tx);
    this.prune();
    return undefined;
  }

  abort(tx: TrackedTransaction): void {
    this.active.delete(tx.id);
    this.committed = this.committed.filter((other) => other !== tx);
    this.prune();
  }

  /** Whether `a` must come before `b` in any equivalent serial order (a -> b). */
  private precedes(a: TrackedTransaction, b: TrackedTransaction): string | undefined {
    const aEnd = a.commitSeq ?? Number.POSITIVE_INFINITY;
    const bEnd = b.commitSeq ?? Number.POSITIVE_INFINITY;
    const concurrent = a.startSeq < bEnd && b.startSeq < aEnd;
    if (!concurrent) {
      if (aEnd > b.startSeq) return undefined; // b ended before a started: the edge, if any, is b -> a
      for (const table of a.writes) if (b.reads.has(table) || b.writes.has(table)) return table;
      for (const table of a.reads) if (b.writes.has(table)) return table;
      return undefined;
    }
    for (const table of a.reads) if (b.writes.has(table)) return table;
    if (aEnd < bEnd) for (const table of a.writes) if (b.writes.has(table)) return table;
    return undefined;
  }

  private cycleThrough(tx: TrackedTransaction): SerializationConflict | undefined {
    const nodes = this.committed;
    // Depth-first from tx over committed transactions, back to tx.
    const path: TrackedTransaction[] = [tx];
    const tables: string[] = [];
    const visited = new Set<TrackedTransaction>();
    const search = (from: TrackedTransaction): boolean => {
      const back = this.precedes(from, tx);
      if (from !== tx && back !== undefined) {
        tables.push(back);
        return true;
      }
      for (const next of nodes) {
        if (visited.has(next)) continue;
        const table = this.precedes(from, next);
        if (table === undefined) continue;
        visited.add(next);
        path.push(next);
        tables.push(table);
        if (search(next)) return true;
        path.pop();
        tables.pop();
      }
      return false;
    };
    if (!search(tx)) return undefined;
    return { table: tables[0]!, cycle: [...path] };
  }

  /**
   * A committed transaction matters while it may be part of a cycle through a transaction still to
   * commit: it committed after an active transaction (or a retained one) started.
   */
  private prune(): void {
    let horizon = Math.min(...[...this.active.values()].map((tx) => tx.startSeq));
    let kept: TrackedTransaction[] = [];
    for (;;) {
      kept = this.committed.filter((tx) => (tx.commitSeq ?? 0) > horizon);
      const lower = Math.min(horizon, ...kept.map((tx) => tx.startSeq));
      if (lower === horizon) break;
      horizon = lower;
    }
    this.committed = kept;
  }
}

/** Redshift's message for an aborted transaction (the table is shown by name here, not by oid). */
export function serializationViolationMessage(conflict: SerializationConflict): string {
  return (
    `ERROR: 1023 DETAIL: Serializable isolation violation on table - ${conflict.table}, ` +
    `transactions forming the cycle are: ${conflict.cycle.map((tx) => tx.xid).join(', ')}`
  );
}

import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write';

interface StoredRecord {
  /** Order of first save, so records load in the order they were created. */
  seq: number;
  record: unknown;
}

interface RecordQueue {
  tail: Promise<void>;
  /** An operation queued behind the running one and not started yet: later calls of its kind share it. */
  queued?: { kind: 'save' | 'remove'; done: Promise<void> };
}

export interface RecordStoreOptions<T> {
  idOf: (record: T) => string;
  /** What a record's file keeps (default: all of it). */
  persisted?: (record: T) => unknown;
}

/**
 * Records of one kind (job runs, statements) kept in a directory, one JSON file each, so a change to
 * one record rewrites only its file, where a single state file of every record would grow with them
 * and be rewritten, whole, on every change of any of them. A file is written atomically (temporary file,
 * sync, rename); the writes of one record run one at a time, a save asked for while one is under way
 * is coalesced into the next write, and a removal waits for the writes before it.
 */
export class RecordStore<T> {
  private readonly seqOf = new Map<string, number>();
  private readonly queues = new Map<string, RecordQueue>();
  private nextSeq = 0;

  private constructor(
    private readonly dir: string,
    private readonly options: RecordStoreOptions<T>,
    /** The records found on disk when the store was opened, oldest first. */
    readonly loaded: T[],
  ) {}

  static async open<T>(dir: string, options: RecordStoreOptions<T>): Promise<RecordStore<T>> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      names = [];
    }
    const stored: StoredRecord[] = [];
    for (const name of names) {
      const path = join(dir, name);
      // a write cut short by a crash; the record's previous file (if any) is intact
      if (name.endsWith('.tmp')) await rm(path, { force: true });
      if (!name.endsWith('.json')) continue;
      try {
        stored.push(JSON.parse(await readFile(path, 'utf8')) as StoredRecord);
      } catch (error) {
        throw new Error(
          `cannot read emulator state ${path}: ${(error as Error).message}; delete it to forget that record`,
        );
      }
    }
    stored.sort((a, b) => a.seq - b.seq);
    const store = new RecordStore<T>(
      dir,
      options,
      stored.map((s) => s.record as T),
    );
    for (const { seq, record } of stored) store.seqOf.set(options.idOf(record as T), seq);
    store.nextSeq = (stored.at(-1)?.seq ?? -1) + 1;
    return store;
  }

  /**
   * Writes records an older emulator kept inside its state file, those not already here, after the
   * loaded ones; returns every record, oldest first. Call it before that state file drops them.
   */
  async adopt(legacy: readonly T[]): Promise<T[]> {
    const fresh = legacy.filter((record) => !this.seqOf.has(this.options.idOf(record)));
    for (const record of fresh) await this.save(record);
    return [...this.loaded, ...fresh];
  }

  /** Persists the record as it is when its write starts; resolves once that write is on disk. */
  save(record: T): Promise<void> {
    const id = this.options.idOf(record);
    let seq = this.seqOf.get(id);
    if (seq === undefined) {
      seq = this.nextSeq++;
      this.seqOf.set(id, seq);
    }
    const stored = seq;
    return this.enqueue(id, 'save', () =>
      writeFileAtomic(
        this.pathOf(id),
        JSON.stringify({ seq: stored, record: this.options.persisted?.(record) ?? record }),
      ),
    );
  }

  /** Deletes the record's file (after any write of it still under way). */
  remove(record: T): Promise<void> {
    const id = this.options.idOf(record);
    this.seqOf.delete(id);
    return this.enqueue(id, 'remove', () => rm(this.pathOf(id), { force: true }));
  }

  private enqueue(id: string, kind: 'save' | 'remove', operation: () => Promise<void>): Promise<void> {
    const queue = this.queues.get(id) ?? { tail: Promise.resolve() };
    if (queue.queued?.kind === kind) return queue.queued.done;
    const done: Promise<void> = queue.tail
      .catch(() => undefined)
      .then(() => {
        if (queue.queued?.done === done) queue.queued = undefined;
        return operation();
      });
    queue.queued = { kind, done };
    queue.tail = done;
    this.queues.set(id, queue);
    done
      .finally(() => {
        if (queue.tail === done) this.queues.delete(id);
      })
      .catch(() => undefined);
    return done;
  }

  private pathOf(id: string): string {
    return join(this.dir, `${encodeURIComponent(id)}.json`);
  }
}

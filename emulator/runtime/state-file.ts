import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write';

/**
 * One JSON document kept in the data directory. Every save writes a temporary file, syncs it and
 * renames it over the old one, so a crash leaves either the old or the new document, never half of one.
 * Saves are coalesced: callers that save while a write is under way share the next write.
 */
export class StateFile<T> {
  private writing: Promise<void> | undefined;
  private pending: Promise<void> | undefined;

  private constructor(
    private readonly path: string,
    readonly data: T,
    private readonly persisted: (data: T) => unknown,
  ) {}

  /**
   * `persisted` picks what is written (default: all of it), so a service can leave out what it can do
   * without after a restart instead of rewriting it on every save.
   */
  static async open<T>(
    path: string,
    initial: () => T,
    persisted: (data: T) => unknown = (data) => data,
  ): Promise<StateFile<T>> {
    let data: T;
    try {
      data = JSON.parse(await readFile(path, 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(
          `cannot read emulator state ${path}: ${(error as Error).message}; delete it to start fresh`,
        );
      }
      data = initial();
    }
    return new StateFile(path, data, persisted);
  }

  /** Persists the current data; resolves once a write that includes every change made so far is on disk. */
  save(): Promise<void> {
    if (!this.writing) {
      this.writing = this.write().finally(() => (this.writing = undefined));
      return this.writing;
    }
    // a failed write is reported to its own callers; the next write still runs for these
    this.pending ??= this.writing
      .catch(() => undefined)
      .then(() => {
        this.pending = undefined;
        return this.save();
      });
    return this.pending;
  }

  private write(): Promise<void> {
    return writeFileAtomic(this.path, JSON.stringify(this.persisted(this.data)));
  }
}

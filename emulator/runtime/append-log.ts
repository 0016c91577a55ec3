import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A JSON Lines file that only grows: each append writes one line, so a long history costs the same
 * per entry as a short one (a StateFile rewrites its whole document on every save). A crash can cut
 * the last line short; opening skips a line that does not parse.
 */
export class AppendLog<T> {
  private tail: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    readonly entries: T[],
    /** After a torn last line, the next line must start on a line of its own. */
    private startsMidLine: boolean,
  ) {}

  static async open<T>(path: string): Promise<AppendLog<T>> {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(
          `cannot read emulator log ${path}: ${(error as Error).message}; delete it to start fresh`,
        );
      }
      await mkdir(dirname(path), { recursive: true });
    }
    const entries: T[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        entries.push(JSON.parse(line) as T);
      } catch {
        // the torn last line of a crash
      }
    }
    return new AppendLog(path, entries, text.length > 0 && !text.endsWith('\n'));
  }

  /** Adds an entry; resolves once its line (and every earlier one) is written. */
  append(entry: T): Promise<void> {
    this.entries.push(entry);
    const line = `${this.startsMidLine ? '\n' : ''}${JSON.stringify(entry)}\n`;
    this.startsMidLine = false;
    const written = this.tail.then(() => appendFile(this.path, line));
    this.tail = written.catch(() => undefined);
    return written;
  }
}

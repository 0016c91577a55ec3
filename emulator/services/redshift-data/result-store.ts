import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../runtime/atomic-write';
import type { Field, StatementResult } from './result-encoding';

/** Statement results kept in the data directory (the Data API caches them for 24 h). */
export class ResultStore {
  constructor(private readonly dir: string) {}

  /** Stores a result; returns its size in bytes (DescribeStatement's ResultSize). */
  async write(id: string, result: StatementResult): Promise<number> {
    const text = JSON.stringify(result);
    await writeFileAtomic(this.path(id), text);
    return recordsSize(result.records);
  }

  async read(id: string): Promise<StatementResult | undefined> {
    try {
      return JSON.parse(await readFile(this.path(id), 'utf8')) as StatementResult;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }

  private path(id: string): string {
    return join(this.dir, `${id.replaceAll(':', '_')}.json`);
  }
}

function recordsSize(records: Field[][]): number {
  return Buffer.byteLength(JSON.stringify(records));
}

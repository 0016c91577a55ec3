import { mkdir, open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let sequence = 0;

/**
 * Writes a file so that readers (and a crash) see either the old content or the new, never a part.
 * `tmpDir` (same file system) keeps the temporary file out of the target folder, e.g. out of the lake.
 */
export async function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  tmpDir?: string,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  if (tmpDir !== undefined) await mkdir(tmpDir, { recursive: true });
  const temporary = join(tmpDir ?? dirname(path), `.${basename(path)}.${process.pid}.${++sequence}.tmp`);
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}

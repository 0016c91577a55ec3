import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Data directories held by emulators of this process (a pid file cannot tell those apart). */
const heldHere = new Set<string>();

/**
 * One emulator per data directory: two would overwrite each other's state and fight over the DuckDB
 * warehouse. The lock is a pid file; a lock left by a process that no longer runs is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, 'emulator.pid');
  const holder = await readFile(path, 'utf8').then(
    (text) => Number(text.trim()),
    () => undefined,
  );
  const alive = holder !== undefined && (holder === process.pid ? heldHere.has(dataDir) : isRunning(holder));
  if (alive) {
    throw new Error(
      `the data directory ${dataDir} is in use by another emulator (pid ${holder}); stop it or choose another --data-dir`,
    );
  }
  await writeFile(path, String(process.pid));
  heldHere.add(dataDir);
  return async () => {
    heldHere.delete(dataDir);
    await rm(path, { force: true });
  };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

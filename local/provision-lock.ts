/**
 * One provisioning at a time per cache: two `npm test` or `npm start` runs started together on a
 * fresh machine would otherwise build the same Temporal CLI twice and, worse, delete each other's
 * half-made Python venvs (a venv cannot be built aside and renamed: its scripts hold absolute paths).
 * The lock is a directory holding the owner's pid; a lock whose owner is gone is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 1000;

export async function withProvisionLock<T>(
  cacheDir: string,
  log: (message: string) => void,
  work: () => Promise<T>,
): Promise<T> {
  const lock = join(cacheDir, '.provision.lock');
  mkdirSync(cacheDir, { recursive: true });
  let told = false;
  while (!tryTake(lock)) {
    const owner = ownerOf(lock);
    if (owner !== undefined && !isAlive(owner)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (!told) log(`waiting for another provisioning to finish (pid ${owner ?? 'unknown'}, lock ${lock})...`);
    told = true;
    await sleep(POLL_MS);
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function tryTake(lock: string): boolean {
  try {
    mkdirSync(lock);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  writeFileSync(join(lock, 'pid'), String(process.pid));
  return true;
}

function ownerOf(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    // Just created, pid not written yet: treat as alive.
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

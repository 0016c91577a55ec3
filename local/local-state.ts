/**
 * What local mode remembers in its data directory: the simulated world's fixed parameters (so the
 * same dates always produce the same data) and where the running stack listens (for `medallion run`,
 * `status` and `sql` from another terminal).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { addDays } from '../core/dates';
import type { Environment } from '../core/environment';

/** Days of history the simulated sources have before the first `npm start`, so past ranges backfill. */
export const WORLD_HISTORY_DAYS = 400;

export interface LocalWorld {
  seed: number;
  bucket: string;
  /** The first logical date run here. */
  firstDay: string;
  /**
   * The UTC date the simulated shop opened (the source simulator's epoch): its database has changes
   * from then on. A world file without it (written before worlds had history) opens on `firstDay`.
   */
  opensOn?: string;
}

/** The UTC midnight the world's sources begin at (ShopSimulationOptions.epochUtc). */
export function worldEpoch(world: LocalWorld): Date {
  return new Date(`${world.opensOn ?? world.firstDay}T00:00:00Z`);
}

export interface LocalEndpoints {
  temporalAddress: string;
  uiUrl?: string;
  /** The local environment (emulator endpoint, bucket, warehouse) the running worker uses. */
  environment: Environment;
  pid: number;
}

/** The bad days `medallion bad-day` asks the local source simulator for (emulator/sources/bad-days.ts). */
export function badDaysFile(dataDir: string): string {
  return path.join(dataDir, 'bad-days.txt');
}

export function dataDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.MEDALLION_DATA_DIR ?? '.medallion');
}

function readJson<T>(file: string): T | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

/**
 * The world of this data directory, made on first use: it opens WORLD_HISTORY_DAYS + 1 days before
 * today (UTC), or on the first day if that is earlier, so every date of the last 400 days (and the one
 * asked for) has source data. Days are simulated lazily, on the first window that reads them.
 */
export function loadOrCreateWorld(dataDir: string, firstDay: string, now = new Date()): LocalWorld {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'world.json');
  const existing = readJson<LocalWorld>(file);
  if (existing) return existing;
  const historyStart = addDays(now.toISOString().slice(0, 10), -(WORLD_HISTORY_DAYS + 1));
  const opensOn = firstDay < historyStart ? firstDay : historyStart;
  const world: LocalWorld = { seed: 42, bucket: 'medallion-lake', firstDay, opensOn };
  writeFileSync(file, JSON.stringify(world, null, 2));
  return world;
}

export function saveEndpoints(dataDir: string, endpoints: LocalEndpoints): void {
  writeFileSync(path.join(dataDir, 'endpoints.json'), JSON.stringify(endpoints, null, 2));
}

export function loadEndpoints(dataDir: string): LocalEndpoints | undefined {
  const endpoints = readJson<LocalEndpoints>(path.join(dataDir, 'endpoints.json'));
  if (!endpoints) return undefined;
  try {
    process.kill(endpoints.pid, 0);
    return endpoints;
  } catch {
    return undefined;
  }
}

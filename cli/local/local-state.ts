/**
 * What local mode remembers in its data directory: the simulated world's fixed parameters (so the
 * same dates always produce the same data) and where the running stack listens (for `medallion run`,
 * `status` and `sql` from another terminal).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Environment } from '../../core/environment';

export interface LocalWorld {
  seed: number;
  bucket: string;
  /** The first logical date run here: the DMS task's full load starts at its midnight. */
  firstDay: string;
}

export interface LocalEndpoints {
  temporalAddress: string;
  uiUrl?: string;
  /** The local environment (emulator endpoint, bucket, warehouse) the running worker uses. */
  environment: Environment;
  pid: number;
}

export function dataDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.MEDALLION_DATA_DIR ?? '.medallion');
}

function readJson<T>(file: string): T | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

export function loadOrCreateWorld(dataDir: string, firstDay: string): LocalWorld {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'world.json');
  const existing = readJson<LocalWorld>(file);
  if (existing) return existing;
  const world: LocalWorld = { seed: 42, bucket: 'medallion-lake', firstDay };
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

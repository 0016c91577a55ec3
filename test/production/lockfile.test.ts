/**
 * `npm ci` installs exactly the lockfile and fails when a package it needs is missing from it. npm
 * records the optional native packages of every platform only when it resolves the tree itself; a
 * lockfile written on one machine may list that machine's alone (npm/cli#4828), and then `npm ci`
 * fails on every other platform, the Linux image included. These checks read the lockfile as npm does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/production/dockerfile';

interface LockEntry {
  version?: string;
  optional?: boolean;
  dev?: boolean;
  os?: string[];
  cpu?: string[];
  optionalDependencies?: Record<string, string>;
}

const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
};

/** Where npm finds `name` for the package installed at `at`: its own node_modules, then each parent's. */
function resolveFrom(at: string, name: string): string | undefined {
  let dir = at;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut < 0 ? '' : dir.slice(0, cut);
  }
}

/** The platforms medallion supports: developers on macOS, Windows and Linux, the image on Linux. */
const PLATFORMS = ['darwin', 'linux', 'win32'].flatMap((os) => ['x64', 'arm64'].map((cpu) => ({ os, cpu })));

function matches(entry: LockEntry, os: string, cpu: string): boolean {
  return (!entry.os || entry.os.includes(os)) && (!entry.cpu || entry.cpu.includes(cpu));
}

describe('package-lock.json', () => {
  it('is a version 3 lockfile', () => {
    expect(lock.lockfileVersion).toBe(3);
  });

  it('lists every optional dependency of every package, whatever the platform it is for', () => {
    const missing: string[] = [];
    for (const [at, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        if (!resolveFrom(at, name)) missing.push(`${at || '(root)'} -> ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('has a native binary for each supported OS and CPU wherever a package ships them', () => {
    const gaps: string[] = [];
    for (const [at, entry] of Object.entries(lock.packages)) {
      const natives = Object.keys(entry.optionalDependencies ?? {})
        .map((name) => resolveFrom(at, name))
        .flatMap((found) => (found && lock.packages[found]?.os ? [lock.packages[found]] : []));
      // fsevents-style helpers for one OS (tsx, vite) are not a per-platform binary set.
      if (new Set(natives.flatMap((n) => n.os ?? [])).size < 2) continue;
      for (const { os, cpu } of PLATFORMS) {
        if (!natives.some((n) => matches(n, os, cpu))) gaps.push(`${at}: ${os}-${cpu}`);
      }
    }
    expect(gaps).toEqual([]);
  });

  it('covers the native packages the worker and the emulator need', () => {
    for (const name of ['@swc/core', '@duckdb/node-bindings', 'esbuild']) {
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry, name).toBeDefined();
      expect(Object.keys(entry!.optionalDependencies ?? {}).length, name).toBeGreaterThan(5);
    }
  });
});

/**
 * The test folder's layout is what vitest runs: a `*.test.ts` outside a tier folder would never run
 * (vitest.config.mts includes only `test/<tier>/`), and helpers inside a tier folder would hide among
 * its tests. `npm run test:fast` runs exactly the tiers marked fast.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const TEST_DIR = path.resolve(__dirname, '..');
/** Folders of test/ that are not tiers: helpers and fixtures, and the recorded workflow histories. */
const NOT_TIERS = ['support', 'histories'];

let tiers: readonly { name: string; fast: boolean }[];
let fastTiers: string[];
beforeAll(async () => {
  // An ES module (vitest.config.mts imports it); this file compiles as CommonJS.
  ({ TEST_TIERS: tiers, FAST_TIERS: fastTiers } = await import('../support/test-tiers.mjs'));
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(TEST_DIR, path.join(entry.parentPath, entry.name)));
}

describe('test/ layout', () => {
  it('has a tier folder for each tier and no other folder besides support/ and histories/', () => {
    const folders = readdirSync(TEST_DIR, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect(folders).toEqual([...tiers.map((tier) => tier.name), ...NOT_TIERS].sort());
  });

  it('keeps every test file in a tier folder, where its vitest project finds it', () => {
    const strays = filesUnder(TEST_DIR).filter(
      (file) => file.endsWith('.test.ts') && !tiers.some((tier) => file.startsWith(`${tier.name}/`)),
    );
    expect(strays, 'move these into test/<tier>/ (test/support/test-tiers.mts lists the tiers)').toEqual([]);
  });

  it('keeps helpers out of tier folders: they go in test/support/', () => {
    for (const tier of tiers) {
      const files = filesUnder(path.join(TEST_DIR, tier.name));
      expect(files.length, `test/${tier.name}/ has no test`).toBeGreaterThan(0);
      expect(files.filter((file) => !file.endsWith('.test.ts'))).toEqual([]);
    }
  });

  it('runs the fast tiers, and only those, in `npm run test:fast`, with property tests sampled', () => {
    const scripts = (
      JSON.parse(readFileSync(path.join(TEST_DIR, '../package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts['test:fast']).toBe(
      `MEDALLION_TEST_FAST=1 vitest run ${fastTiers.map((name) => `--project ${name}`).join(' ')}`,
    );
  });
});

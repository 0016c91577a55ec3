/**
 * The test tiers: each is a folder `test/<name>/` of `*.test.ts` files and a vitest project of the same
 * name (vitest.config.mts). Everything a test imports that is not itself a test lives in `test/support/`;
 * recorded workflow histories in `test/histories/`. `npm run test:fast` runs the tiers marked `fast`.
 */
export interface TestTier {
  name: string;
  /** What the tier's tests run against: the toolchain it needs beyond Node and npm packages. */
  needs: string;
  /** Part of `npm run test:fast`, the inner loop (under a minute on 2 cores). */
  fast: boolean;
  /**
   * Runs its files one at a time, after every other tier: its tests start a whole local stack (dev server,
   * emulator, worker, browser) that uses both cores, and assert on how long recovery takes.
   */
  alone?: true;
}

export const TEST_TIERS: readonly TestTier[] = [
  { name: 'unit', needs: 'nothing: pure logic, in process', fast: true },
  {
    name: 'workflow',
    needs: 'Temporal time-skipping test server or dev server, mocked activities',
    fast: true,
  },
  { name: 'sql', needs: 'DuckDB and PGlite in process (SCD2, loads, shop jobs)', fast: true },
  {
    name: 'activity',
    needs: 'activities against aws-sdk-client-mock (and one against the emulator)',
    fast: false,
  },
  { name: 'emulator', needs: 'the local AWS emulator in process, its source simulator', fast: false },
  { name: 'integration', needs: 'the local stack: dev server, emulator, worker', fast: false, alone: true },
  { name: 'replay', needs: 'test/histories/ replayed against the production workflow bundle', fast: false },
  {
    name: 'python',
    needs: 'provisioned Python venvs: PySpark (+ Java), moto, sqlglot, cfn-lint',
    fast: false,
  },
  { name: 'production', needs: 'the worker image smoke test, Dockerfile, lockfile, CDK synth', fast: false },
  {
    name: 'e2e',
    needs: 'headless Chromium (/usr/bin/chromium) on the local stack',
    fast: false,
    alone: true,
  },
  { name: 'chaos', needs: 'the local stack under seeded faults', fast: false, alone: true },
];

export const FAST_TIERS = TEST_TIERS.filter((tier) => tier.fast).map((tier) => tier.name);

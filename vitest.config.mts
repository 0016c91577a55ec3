import { defineConfig } from 'vitest/config';
import { TEST_TIERS } from './test/support/test-tiers.mjs';

const FILES_AT_ONCE = 2;

export default defineConfig({
  test: {
    // Temporal servers and workflow bundles are slow to start on 2 cores; tests that need them set their own hooks.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-line-reporter.mts'],
    env: {
      // Printed once per test process otherwise; the README documents the Node 22 recommendation.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    // One project per tier (test/<tier>/): `vitest run --project sql`, `npm run test:fast`. Most tiers'
    // files spend much of their time waiting on a server, a child process or a timer, so two files run at
    // once (vitest's default on 2 cores is one); the local-stack tiers run alone, last (test-tiers.mts).
    projects: TEST_TIERS.map((tier) => ({
      extends: true,
      test: {
        name: tier.name,
        include: [`test/${tier.name}/**/*.test.ts`],
        maxWorkers: tier.alone ? 1 : FILES_AT_ONCE,
      },
    })),
  },
});

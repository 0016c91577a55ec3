import path from 'node:path';
import { describe, expect, it } from 'vitest';

const fixtures = path.join(__dirname, '../support/fixtures/summary-line/');

/** Runs the fixture files in a nested vitest and returns the reporter's line for the run vitest itself reports. */
async function lineFor(files: string[]): Promise<string> {
  // Both are ES modules; this test file compiles as CommonJS, so they come in through import().
  const { createVitest } = await import('vitest/node');
  const { summaryLine } = await import('../support/summary-line-reporter.mjs');
  const vitest = await createVitest('test', {
    root: fixtures,
    include: ['*.fixture.ts'],
    watch: false,
    reporters: [{}],
    config: false,
    pool: 'threads',
  });
  try {
    await vitest.start(files.map((f) => `${fixtures}${f}`));
    return summaryLine(vitest.state.getTestModules(), vitest.state.getUnhandledErrors() as never);
  } finally {
    await vitest.close();
  }
}

describe('summary line reporter', () => {
  it('counts passed and skipped tests of a green file', async () => {
    expect(await lineFor(['passes.fixture.ts'])).toBe('tests: 1 passed, 0 failed, 1 skipped');
  });

  it('counts a file whose beforeAll hook failed as failed, though vitest skipped its tests', async () => {
    expect(await lineFor(['hook-fails.fixture.ts', 'passes.fixture.ts'])).toBe(
      'tests: 1 passed, 1 failed, 3 skipped',
    );
  });

  it('counts a file that failed to import as failed', async () => {
    expect(await lineFor(['import-fails.fixture.ts'])).toBe('tests: 0 passed, 1 failed, 0 skipped');
  });
});

import type { Reporter, SerializedError, TestModule } from 'vitest/node';

/**
 * Ends the run with one plain line, "N passed, N failed, N skipped", that any CI log reader can parse
 * (vitest's own summary is coloured and split over several lines).
 *
 * A file can fail without any test failing: its import throws, or a beforeAll/afterAll hook throws (vitest
 * then marks the file's tests skipped). Such a file counts as one failure, and so does each error vitest
 * reports outside any file, so the line never says "0 failed" when vitest exits 1.
 */
export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError> = [],
  ): void {
    process.stdout.write(`\n${summaryLine(testModules, unhandledErrors)}\n`);
  }
}

export function summaryLine(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
): string {
  const count = (state: 'passed' | 'failed' | 'skipped') =>
    testModules.reduce((sum, module) => sum + [...module.children.allTests(state)].length, 0);
  const failedOutsideTests = testModules.filter(
    (m) => m.state() === 'failed' && [...m.children.allTests('failed')].length === 0,
  ).length;
  const failed = count('failed') + failedOutsideTests + unhandledErrors.length;
  return `tests: ${count('passed')} passed, ${failed} failed, ${count('skipped')} skipped`;
}

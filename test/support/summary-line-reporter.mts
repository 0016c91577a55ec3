import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with one plain line, "N passed, N failed, N skipped", that any CI log reader can parse
 * (vitest's own summary is coloured and split over several lines).
 */
export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const count = (state: 'passed' | 'failed' | 'skipped') =>
      testModules.reduce((sum, module) => sum + [...module.children.allTests(state)].length, 0);
    const failedModules = testModules.filter(
      (m) => m.state() === 'failed' && [...m.children.allTests()].length === 0,
    ).length;
    process.stdout.write(
      `\ntests: ${count('passed')} passed, ${count('failed') + failedModules} failed, ${count('skipped')} skipped\n`,
    );
  }
}

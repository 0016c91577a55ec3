/** How the CLI shows a stage's check outcomes: one line per check that did not pass, and a tally. */
import type { CheckOutcome } from '../core/check-outcome';

export function checkLines(checks: readonly CheckOutcome[] | undefined, indent: string): string[] {
  if (!checks || checks.length === 0) return [];
  const passed = checks.filter((c) => c.passed).length;
  const lines = checks
    .filter((c) => !c.passed)
    .map(
      (c) =>
        `${indent}${c.severity === 'block' ? 'BLOCKED by' : 'warning:'} ${c.check}: measured ${c.measured ?? 'nothing'}, bound ${c.bound}`,
    );
  return [...lines, `${indent}checks: ${passed}/${checks.length} passed`];
}

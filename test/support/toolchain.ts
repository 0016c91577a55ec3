/**
 * Tiers that need a toolchain beyond Node (Python venvs, Java, Chromium) ask for it here. On a developer
 * machine a missing toolchain skips the tier with one line on stderr saying how to install it; under
 * CI=true it throws, so the test file fails: a tier never passes in CI by not running.
 */
export function toolchainAvailable(tier: string, missing: string | undefined): boolean {
  if (missing === undefined) return true;
  const message = `${tier} tier: ${missing}`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: a missing toolchain fails the tier)`);
  process.stderr.write(`${message}; skipping the tier\n`);
  return false;
}

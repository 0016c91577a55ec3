/**
 * Where the Temporal dev server (CLI) and the time-skipping test server live on this machine.
 *
 * Resolution order: explicit environment override, then the project's provisioned cache, then the
 * SDK's own download (only works with internet access). Provisioning itself is in provision.ts.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const TEMPORAL_CLI_VERSION = '1.5.1';
export const TEMPORAL_TEST_SERVER_VERSION = '1.38.0';

export type ServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

export function cacheRoot(): string {
  if (process.env.MEDALLION_CACHE_DIR) return process.env.MEDALLION_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(xdg, 'medallion');
}

export function cliInstallDir(): string {
  return join(cacheRoot(), `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

export function cliBinaryPath(): string {
  return join(cliInstallDir(), 'temporal');
}

/** Bumped when the bundle's content changes (e.g. its logging binding), so caches are rebuilt. */
const TEST_SERVER_BUNDLE_REVISION = 2;

export function testServerInstallDir(): string {
  return join(
    cacheRoot(),
    `temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}-r${TEST_SERVER_BUNDLE_REVISION}`,
  );
}

export function testServerLauncherPath(): string {
  return join(testServerInstallDir(), 'temporal-test-server');
}

function fromEnv(variable: string): ServerExecutable | undefined {
  const path = process.env[variable];
  if (!path) return undefined;
  if (!existsSync(path)) {
    throw new Error(
      `${variable}=${path} does not exist. Point it at an executable or unset it to use the provisioned one.`,
    );
  }
  return { type: 'existing-path', path };
}

/** The dev server (Temporal CLI) executable to hand to @temporalio/testing or to run directly. */
export function devServerExecutable(): ServerExecutable {
  return (
    fromEnv('TEMPORAL_CLI_PATH') ??
    (existsSync(cliBinaryPath())
      ? { type: 'existing-path', path: cliBinaryPath() }
      : { type: 'cached-download' })
  );
}

/** The time-skipping test server executable to hand to @temporalio/testing. */
export function testServerExecutable(): ServerExecutable {
  return (
    fromEnv('TEMPORAL_TEST_SERVER_PATH') ??
    (existsSync(testServerLauncherPath())
      ? { type: 'existing-path', path: testServerLauncherPath() }
      : { type: 'cached-download' })
  );
}

/**
 * The Temporal dev server for integration tests: in-memory, our search attributes registered in every
 * namespace asked for (a second namespace lets a "clean" lane run the same workflow ids side by side).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogLevel, Runtime } from '@temporalio/worker';
import { ensureSearchAttributes } from '../../../workers/search-attributes';
import { devServerEnv } from '../../../local/temporal-servers';

export interface DevServerOptions {
  extraNamespaces?: string[];
  /** SDK log level of this test process (default WARN); ERROR where failures are the point. */
  logLevel?: LogLevel;
}

export async function startTemporalDevServer(
  options: DevServerOptions = {},
): Promise<TestWorkflowEnvironment> {
  const extraNamespaces = options.extraNamespaces ?? [];
  if (options.logLevel) {
    try {
      Runtime.install({ logger: new DefaultLogger(options.logLevel) });
    } catch {
      // Installed already in this process: keep that logger.
    }
  }
  const env = await devServerEnv(extraNamespaces.flatMap((namespace) => ['--namespace', namespace]));
  for (const namespace of extraNamespaces) await ensureSearchAttributes(env.connection, namespace);
  return env;
}

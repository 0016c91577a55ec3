/**
 * The Temporal dev server (with UI and SQLite persistence) that `medallion start` runs when no
 * TEMPORAL_ADDRESS is given: the CLI binary provisioned by scripts/provision.ts.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { canConnect, freePort, waitForPort } from './net';
import { devServerExecutable } from './temporal-binaries';
import { searchAttributeKeys } from '../core/search-attributes';
import { DEV_SERVER_TUNING_ARGS } from './dev-server-tuning';

export interface DevServer {
  address: string;
  uiUrl: string;
  logFile: string;
  /** The server process, e.g. to read its CPU time. */
  pid: number | undefined;
  stop(): Promise<void>;
}

async function portOrFree(preferred: number): Promise<number> {
  return (await canConnect(preferred)) ? freePort() : preferred;
}

function cliSearchAttributeType(type: string): string {
  return type === 'KEYWORD' ? 'Keyword' : type === 'DATETIME' ? 'Datetime' : type === 'INT' ? 'Int' : type;
}

export interface DevServerOptions {
  /**
   * Keep the server's SQLite database in `dataDir` (the default: runs survive a restart of the local
   * stack); false keeps it in memory, for a bench or test that throws the server away afterwards.
   */
  persistent?: boolean;
}

export async function startDevServer(
  dataDir: string,
  preferredPort = 7233,
  preferredUiPort = 8233,
  options: DevServerOptions = {},
): Promise<DevServer> {
  const executable = devServerExecutable();
  if (executable.type !== 'existing-path') {
    throw new Error(
      'no Temporal CLI was provisioned (Go is missing). Install Go and run `npm run provision`, ' +
        'set TEMPORAL_CLI_PATH to a temporal binary, or set TEMPORAL_ADDRESS to use a running server.',
    );
  }
  const port = await portOrFree(preferredPort);
  const uiPort = await portOrFree(preferredUiPort);
  const logFile = path.join(dataDir, 'temporal.log');
  const log = openSync(logFile, 'a');
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    ...(options.persistent === false ? [] : ['--db-filename', path.join(dataDir, 'temporal.db')]),
    '--log-level',
    'warn',
    ...DEV_SERVER_TUNING_ARGS,
    ...Object.values(searchAttributeKeys).flatMap((k) => [
      '--search-attribute',
      `${k.name}=${cliSearchAttributeType(k.type)}`,
    ]),
  ];
  const child = spawn(executable.path, args, { stdio: ['ignore', log, log] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const failedEarly = exited.then((code) => {
    throw new Error(`the Temporal dev server exited with ${code} before it was ready; see ${logFile}`);
  });
  await Promise.race([waitForPort(port, 60_000), failedEarly]);
  await Promise.race([waitForPort(uiPort, 30_000), failedEarly]);
  failedEarly.catch(() => undefined);
  return {
    address: `127.0.0.1:${port}`,
    uiUrl: `http://127.0.0.1:${uiPort}`,
    logFile,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

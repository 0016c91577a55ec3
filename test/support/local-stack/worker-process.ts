/**
 * A medallion worker in a process of its own (worker-process-main.ts), so a test can kill it with
 * SIGKILL mid-run: a crash, with no shutdown and no activity completion reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PipelineSpecInput } from '../../../core/pipeline-spec';
import type { WorkerConfig } from '../../../workers/config';

export interface WorkerProcessSettings {
  config: WorkerConfig;
  pipelines: PipelineSpecInput[];
  /** A file holding the production workflow bundle's code (bundled once by the test). */
  bundlePath: string;
}

export const WORKER_READY = 'worker ready';

export interface WorkerProcess {
  child: ChildProcess;
  /** SIGKILL, then waits for the process to be gone. */
  kill(): Promise<void>;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves when the process has exited, for whatever reason. */
  exited: Promise<void>;
}

export async function spawnWorkerProcess(
  settings: WorkerProcessSettings,
  dir: string,
): Promise<WorkerProcess> {
  const settingsFile = path.join(dir, `worker-process-${Date.now()}.json`);
  await writeFile(settingsFile, JSON.stringify(settings));
  // Node itself with tsx's loader, not the tsx CLI: the CLI runs the script in a grandchild that a
  // SIGKILL of the CLI would leave running.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'worker-process-main.ts')], {
    cwd: path.resolve(__dirname, '../../..'),
    env: { ...process.env, MEDALLION_WORKER_PROCESS: settingsFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker process not ready in 60 s:\n${output}`)), 60_000);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(WORKER_READY)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited with ${code} before it was ready:\n${output}`));
    });
  });
  return {
    child,
    exited,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

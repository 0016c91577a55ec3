import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { GetJobRunCommand, StartJobRunCommand } from '@aws-sdk/client-glue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDataDir, sdkClients, waitFor } from '../support/emulator-fixture';

type EmulatorProcess = ChildProcessByStdio<null, Readable, Readable>;

let dataDir: string;
let configFile: string;
const children: EmulatorProcess[] = [];

beforeAll(async () => {
  dataDir = await newDataDir();
  configFile = join(dataDir, 'emulator.yaml');
  await writeFile(
    configFile,
    [
      'timing: { transitionMs: 20, runMs: 50 }',
      'glue:',
      '  jobs:',
      '    - name: crash-job',
      '      durationMs: 1500',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

/** Starts `emulator/main.ts` as its own process and resolves with it and the endpoint it prints. */
async function launch(): Promise<{ child: EmulatorProcess; endpoint: string }> {
  // node itself with tsx's loader (not the tsx CLI, which would put a wrapper process in between)
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'emulator/main.ts',
      '--data-dir',
      join(dataDir, 'data'),
      '--port',
      '0',
      '--config',
      configFile,
      '--log-level',
      'warn',
    ],
    { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}: ${stderr}`)));
  });
  return { child, endpoint };
}

function exited(child: EmulatorProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('emulator/main.ts as a process', () => {
  it('prints its endpoint, survives a SIGKILL mid-run (the run finishes after the restart), and stops on SIGTERM', async () => {
    const first = await launch();
    expect(first.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.endpoint).not.toMatch(/:0$/);
    const { glue } = sdkClients(first.endpoint);
    const { JobRunId } = await glue.send(new StartJobRunCommand({ JobName: 'crash-job' }));
    await waitFor(
      () => glue.send(new GetJobRunCommand({ JobName: 'crash-job', RunId: JobRunId })),
      (r) => r.JobRun?.JobRunState === 'RUNNING',
    );
    const killed = exited(first.child);
    first.child.kill('SIGKILL');
    await killed;

    const second = await launch();
    const after = sdkClients(second.endpoint).glue;
    const done = await waitFor(
      () => after.send(new GetJobRunCommand({ JobName: 'crash-job', RunId: JobRunId })),
      (r) => ['SUCCEEDED', 'FAILED'].includes(r.JobRun!.JobRunState!),
    );
    expect(done.JobRun?.JobRunState).toBe('SUCCEEDED');
    const code = exited(second.child);
    second.child.kill('SIGTERM');
    expect(await code).toBe(0);
  }, 30_000);
});

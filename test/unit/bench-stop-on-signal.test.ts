/**
 * A bench interrupted by SIGINT or SIGTERM stops the servers it registered (bench/support/
 * stop-on-signal.ts) instead of leaving them running as orphans, and exits as the signal's victim.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';

const MODULE = path.resolve(__dirname, '../../bench/support/stop-on-signal.ts');

/** A stand-in bench: a long-lived "server" process registered for stopping, then an endless wait. */
const BENCH = `
const { spawn } = require('node:child_process');
const { stopOnSignal } = require(${JSON.stringify(MODULE)});
const server = spawn('sleep', ['600'], { stdio: 'ignore' });
const exited = new Promise((resolve) => server.once('exit', resolve));
stopOnSignal(async () => { server.kill('SIGTERM'); await exited; });
process.stdout.write(server.pid + '\\n');
setInterval(() => undefined, 1000);
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function benchWithServer(): Promise<{ bench: ChildProcess; serverPid: number }> {
  const bench = spawn(process.execPath, ['--import', 'tsx', '--eval', BENCH], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [chunk] = (await once(bench.stdout, 'data')) as [Buffer];
  return { bench, serverPid: Number(chunk.toString().trim()) };
}

describe('bench servers on an interrupting signal', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} stops the registered server and exits with ${code}`, async () => {
      const { bench, serverPid } = await benchWithServer();
      try {
        expect(alive(serverPid)).toBe(true);
        const exited = once(bench, 'exit') as Promise<[number | null, string | null]>;
        bench.kill(signal);
        const [exitCode] = await exited;
        expect(exitCode).toBe(code);
        // The stop awaited the server's exit; allow the kernel a moment to reap it all the same.
        for (let i = 0; i < 20 && alive(serverPid); i++) await sleep(50);
        expect(alive(serverPid)).toBe(false);
      } finally {
        bench.kill('SIGKILL');
        if (alive(serverPid)) process.kill(serverPid, 'SIGKILL');
      }
    });
  }
});

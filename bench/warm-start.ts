/**
 * A warm `npm start` day end to end (`npx tsx bench/warm-start.ts`). Goal: <= 60 s from process start
 * to "workflow completed".
 *
 * Runs the real `npm start -- --date <D> --exit` (ensure-deps, provision, `medallion start`: dev server,
 * emulator, worker, one shop day, summary) in a temporary data directory, with node_modules present and
 * the Temporal binaries provisioned, and timestamps every line it prints. The first run starts from an
 * empty data directory; each further run is the next day on the same directory (dev server database,
 * emulator state and DMS checkpoint already there): that is the warm figure.
 *
 * Options: --runs <n> (default 2), --keep (leave the data directory). TEMPORAL_ADDRESS is unset for the
 * child, so it starts its own dev server as `npm start` does on a laptop.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { addDays } from '../core/dates';

const GOAL_MS = 60_000;
const FIRST_DAY = '2025-04-01';
const ROOT = path.resolve(__dirname, '..');

/** Lines of `medallion start` that end each phase, in order. */
const MILESTONES = [
  { phase: 'npm, ensure-deps, provision, CLI load', line: /^medallion: local mode in / },
  { phase: 'dev server start', line: /^Temporal: dev server at / },
  { phase: 'emulator start', line: /^AWS emulator: / },
  { phase: 'worker (workflow bundle, activities)', line: /^Worker: polling / },
  { phase: 'run: start to workflow completed', line: /^workflow completed: / },
  { phase: 'summary, checksums, stop, exit', line: null },
] as const;

interface Timed {
  atMs: number;
  text: string;
}

async function npmStartDay(
  dataDir: string,
  date: string,
): Promise<{ lines: Timed[]; exitMs: number; code: number | null }> {
  const env: NodeJS.ProcessEnv = { ...process.env, MEDALLION_DATA_DIR: dataDir };
  delete env.TEMPORAL_ADDRESS;
  const started = performance.now();
  const child = spawn('npm', ['start', '--', '--date', date, '--exit'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Timed[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout }).on('line', (text) =>
    lines.push({ atMs: performance.now() - started, text }),
  );
  createInterface({ input: child.stderr }).on('line', (text) => stderr.push(text));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) {
    throw new Error(
      `npm start --date ${date} exited with ${code}:\n${[...lines.map((l) => l.text), ...stderr].join('\n')}`,
    );
  }
  return { lines, exitMs: performance.now() - started, code };
}

function breakdown(lines: Timed[], exitMs: number): { phase: string; ms: number }[] {
  const phases: { phase: string; ms: number }[] = [];
  let previous = 0;
  for (const milestone of MILESTONES) {
    const pattern = milestone.line;
    const at = pattern ? lines.find((line) => pattern.test(line.text))?.atMs : exitMs;
    if (at === undefined) throw new Error(`no line for "${milestone.phase}" in the output`);
    phases.push({ phase: milestone.phase, ms: at - previous });
    previous = at;
  }
  return phases;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '2' }, keep: { type: 'boolean', default: false } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs}: use a whole number >= 1`);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'medallion-warm-start-'));
  let missed = false;
  try {
    for (let index = 0; index < runs; index++) {
      const date = addDays(FIRST_DAY, index);
      const { lines, exitMs } = await npmStartDay(dataDir, date);
      const phases = breakdown(lines, exitMs);
      const completedMs = phases.slice(0, 5).reduce((sum, p) => sum + p.ms, 0);
      const runLine = lines.find((line) => /^workflow completed: /.test(line.text))!.text;
      const label = index === 0 ? 'first day, empty data directory' : 'next day, warm data directory';
      console.log(`npm start --date ${date} --exit (${label})`);
      console.log(
        `  process start -> "workflow completed": ${seconds(completedMs)}   (goal <= ${GOAL_MS / 1000} s: ${completedMs <= GOAL_MS ? 'met' : 'MISSED'})`,
      );
      for (const { phase, ms } of phases) console.log(`    ${phase.padEnd(40)} ${seconds(ms).padStart(8)}`);
      console.log(`  process exit: ${seconds(exitMs)}; ${runLine.replace(/^workflow completed: /, 'run ')}`);
      if (index > 0 && completedMs > GOAL_MS) missed = true;
    }
  } finally {
    if (values.keep) console.log(`data directory kept: ${dataDir}`);
    else await rm(dataDir, { recursive: true, force: true });
  }
  if (missed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

/**
 * The chaos tier at scale: a clean backfill of shop days, then one backfill per seed under that seed's
 * fault plan (test/support/chaos/fault-plan.ts), each checked as the CI test checks its fixed seeds.
 *
 *   npx tsx test/support/chaos/sweep-seeds.ts                        # seeds 1..10
 *   npx tsx test/support/chaos/sweep-seeds.ts --count 30 --first 100 # seeds 100..129
 *   npx tsx test/support/chaos/sweep-seeds.ts --seeds 7,1234         # replay seeds
 *   npx tsx test/support/chaos/sweep-seeds.ts --kinds throttle-burst,worker-sigkill --days 4
 *
 * Prints each seed's plan and outcome, then the figures: seeds run and passed, faults injected and
 * survived per kind, crash-recovery times (SIGKILL of the worker to its in-flight activities' next
 * attempt, from the server's history), dev server restart times. Exits 1 if a seed failed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { addDays, dateRange } from '../../../core/dates';
import { type ChaosOutcome, runChaosBackfill } from './chaos-backfill';
import { chaosProblems, describeOutcome } from './chaos-verdict';
import { CHAOS_FIRST_DAY, CHAOS_HORIZON_PER_DAY } from './chaos-settings';
import { FAULT_KINDS, type FaultKind, faultPlan } from './fault-plan';
import { productionWorkflowBundle } from '../../../local/workflow-bundle-cache';
import { quietRuntime } from '../../../local/temporal-servers';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    count: { type: 'string', default: '10' },
    first: { type: 'string', default: '1' },
    days: { type: 'string', default: '3' },
    kinds: { type: 'string' },
    'max-concurrent': { type: 'string', default: '2' },
  },
});

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`--${name} must be a whole number >= 0, got "${text}"`);
  return n;
}

const seeds = values.seeds
  ? values.seeds.split(',').map((s) => positive('seeds', s.trim()))
  : Array.from({ length: positive('count', values.count) }, (_, i) => positive('first', values.first) + i);
const kinds = values.kinds ? values.kinds.split(',').map((k) => k.trim()) : [...FAULT_KINDS];
for (const kind of kinds)
  if (!(FAULT_KINDS as readonly string[]).includes(kind))
    throw new Error(`--kinds: unknown fault kind "${kind}"; use some of ${FAULT_KINDS.join(', ')}`);
const days = positive('days', values.days);
if (days < 2) throw new Error('--days must be 2 or more: the first day is the DMS full load');
const dates = dateRange(CHAOS_FIRST_DAY, addDays(CHAOS_FIRST_DAY, days - 1));
const maxConcurrent = positive('max-concurrent', values['max-concurrent']);

async function main(): Promise<void> {
  quietRuntime();
  const dir = await mkdtemp(path.join(tmpdir(), 'medallion-chaos-bench-'));
  const say = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const bundlePath = path.join(dir, 'workflow-bundle.js');
    await writeFile(bundlePath, (await productionWorkflowBundle()).code);
    const run = (seed: number, planKinds: FaultKind[]) =>
      runChaosBackfill({
        dir: path.join(dir, `seed-${seed}`),
        dates,
        plan: faultPlan(seed, { kinds: planKinds, horizon: CHAOS_HORIZON_PER_DAY * dates.length }),
        bundlePath,
        maxConcurrent,
      });
    say(`clean run of ${dates[0]}..${dates.at(-1)} (maxConcurrent ${maxConcurrent})`);
    const clean = await run(0, []);
    const cleanProblems = chaosProblems(clean, clean, dates);
    if (cleanProblems.length) throw new Error(`the clean run failed:\n${cleanProblems.join('\n')}`);
    say(`  ${clean.startCalls.length} Start* calls, ${(clean.elapsedMs / 1000).toFixed(0)} s\n`);

    const outcomes: { outcome: ChaosOutcome; problems: string[] }[] = [];
    for (const seed of seeds) {
      const outcome = await run(seed, kinds as FaultKind[]);
      const problems = chaosProblems(outcome, clean, dates);
      outcomes.push({ outcome, problems });
      say(describeOutcome(outcome));
      say(problems.length ? `  FAILED:\n${problems.map((p) => `    ${p}`).join('\n')}\n` : '  passed\n');
    }
    say(figures(outcomes));
    if (outcomes.some((o) => o.problems.length > 0)) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function figures(outcomes: { outcome: ChaosOutcome; problems: string[] }[]): string {
  const passed = outcomes.filter((o) => o.problems.length === 0);
  const lines = [
    `seeds run: ${outcomes.length}, passed: ${passed.length}, failed: ${outcomes.length - passed.length}`,
  ];
  lines.push('faults injected (survived = in a seed that passed):');
  for (const kind of FAULT_KINDS) {
    const injected = outcomes.reduce((n, o) => n + o.outcome.injected[kind], 0);
    const survived = passed.reduce((n, o) => n + o.outcome.injected[kind], 0);
    if (kinds.includes(kind))
      lines.push(`  ${kind.padEnd(24)} ${String(injected).padStart(4)} injected, ${survived} survived`);
    else lines.push(`  ${kind.padEnd(24)}    - (not enabled)`);
  }
  const recoveries = outcomes.flatMap((o) =>
    o.outcome.recoveries.flatMap((r) => (r.recoveryMs === undefined ? [] : [r.recoveryMs])),
  );
  lines.push(`crash recovery, SIGKILL to the in-flight activities' next attempt: ${spread(recoveries)}`);
  lines.push(
    `dev server restarts, stop to serving again: ${spread(outcomes.flatMap((o) => o.outcome.restartsMs))}`,
  );
  lines.push(`seed wall time: ${spread(outcomes.map((o) => o.outcome.elapsedMs))}`);
  return lines.join('\n');
}

function spread(ms: number[]): string {
  if (ms.length === 0) return 'none measured';
  const sorted = [...ms].sort((a, b) => a - b);
  const s = (x: number) => `${(x / 1000).toFixed(1)} s`;
  return `n=${sorted.length} min ${s(sorted[0]!)} median ${s(sorted[Math.floor(sorted.length / 2)]!)} max ${s(sorted.at(-1)!)}`;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

/**
 * The chaos tier: a three-day shop backfill on the real local stack (dev server on SQLite, the AWS
 * emulator, the worker in a process of its own) under seeded random faults, for a few fixed seeds.
 * Each seed must end with every date succeeded, no run key started twice, a warehouse equal row for row
 * to a clean run of the same dates, and intact SCD2 dimensions. A failing seed prints its fault plan;
 * replay it with `npx tsx test/support/chaos/sweep-seeds.ts --seeds <seed>` (which also runs many seeds).
 *
 * Then the crash-recovery bound: the worker is SIGKILLed while Glue jobs run, and the stages it was
 * running start their next attempt on a new worker within 45 s (the heartbeat timeout and first retry of core/stage-defaults.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, dateRange } from '../../core/dates';
import { shopEmulatorNames } from '../../emulator/shop-emulator-config';
import { productionWorkflowBundle } from '../../local/workflow-bundle-cache';
import { quietRuntime } from '../../local/temporal-servers';
import { type ChaosOutcome, runChaosBackfill } from '../support/chaos/chaos-backfill';
import { CHAOS_FIRST_DAY, CHAOS_HORIZON_PER_DAY } from '../support/chaos/chaos-settings';
import { chaosProblems, describeOutcome } from '../support/chaos/chaos-verdict';
import { FAULT_KINDS, type FaultPlan, faultPlan } from '../support/chaos/fault-plan';

const DATES = dateRange(CHAOS_FIRST_DAY, addDays(CHAOS_FIRST_DAY, 2));
/** Fixed seeds whose plans, between them, hold every enabled fault kind. */
const SEEDS = [1, 2];
const RECOVERY_BOUND_MS = 45_000;
const SEED_TIMEOUT_MS = 360_000;

let dir: string;
let bundlePath: string;
let clean: ChaosOutcome;

function run(name: string, plan: FaultPlan, extra: Partial<Parameters<typeof runChaosBackfill>[0]> = {}) {
  return runChaosBackfill({ dir: path.join(dir, name), dates: DATES, plan, bundlePath, ...extra });
}

beforeAll(async () => {
  quietRuntime();
  dir = await mkdtemp(path.join(tmpdir(), 'medallion-chaos-'));
  bundlePath = path.join(dir, 'workflow-bundle.js');
  await writeFile(bundlePath, (await productionWorkflowBundle()).code);
  clean = await run('clean', { seed: 0, kinds: [], faults: [] });
}, SEED_TIMEOUT_MS);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the clean run the chaos runs are compared with', () => {
  it('succeeds for every date and fills every warehouse table', () => {
    expect(chaosProblems(clean, clean, DATES)).toEqual([]);
    for (const [table, rows] of Object.entries(clean.warehouse))
      expect(rows.length, table).toBeGreaterThan(0);
  });
});

describe.each(SEEDS)('chaos seed %i', (seed) => {
  it(
    'every date succeeds, no run key starts twice, the warehouse equals the clean run, SCD2 holds',
    async ({ annotate }) => {
      const plan = faultPlan(seed, { horizon: CHAOS_HORIZON_PER_DAY * DATES.length });
      const outcome = await run(`seed-${seed}`, plan);
      const report = describeOutcome(outcome);
      await annotate(report);
      process.stdout.write(`${report}\n`);
      expect(chaosProblems(outcome, clean, DATES), report).toEqual([]);
      // The plan's faults happened: the kill and the restart always; of the scripted ones (armed for the
      // next matching calls) some, since an operation may have no call left after its fault is armed.
      for (const kind of ['worker-sigkill', 'server-restart'] as const)
        expect(outcome.injected[kind], report).toBe(plan.faults.filter((f) => f.kind === kind).length);
      const scripted = FAULT_KINDS.filter((kind) => !['worker-sigkill', 'server-restart'].includes(kind));
      expect(
        scripted.reduce((n, kind) => n + outcome.injected[kind], 0),
        report,
      ).toBeGreaterThan(0);
    },
    SEED_TIMEOUT_MS,
  );
});

describe('crash recovery', () => {
  it(
    `stages a SIGKILLed worker was running start again within ${RECOVERY_BOUND_MS / 1000} s`,
    async ({ annotate }) => {
      // Glue jobs of 6 s: when the first day's silver jobs have started, the kill finds them running.
      const plan: FaultPlan = {
        seed: 0,
        kinds: ['worker-sigkill'],
        faults: [{ kind: 'worker-sigkill', atStart: 5 }],
      };
      const outcome = await run('crash', plan, {
        durations: [{ service: 'glue', name: shopEmulatorNames.sqlRunnerJob, ms: 6_000 }],
      });
      const report = describeOutcome(outcome);
      await annotate(report);
      process.stdout.write(`${report}\n`);
      expect(chaosProblems(outcome, clean, DATES), report).toEqual([]);
      const [recovery] = outcome.recoveries;
      expect(
        recovery?.resumed.some((r) => r.label.includes('silver_')),
        report,
      ).toBe(true);
      expect(recovery!.recoveryMs!, `${report}\n${JSON.stringify(recovery!.resumed)}`).toBeLessThan(
        RECOVERY_BOUND_MS,
      );
    },
    SEED_TIMEOUT_MS,
  );
});

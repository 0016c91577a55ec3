/**
 * The chaos tier's fault plan: a pure function of a seed (and of which fault kinds are on), so a
 * failing seed replays exactly: `npx tsx test/support/chaos/sweep-seeds.ts --seeds 1234`. Each fault fires when the
 * emulator's log of Start* calls (StartJobRun, ExecuteStatement, ...) reaches its `atStart` count,
 * which spreads them over the backfill's stages rather than over wall-clock time.
 */
import { SeededRandom } from '../../../emulator/sources/seeded-random';

export const FAULT_KINDS = [
  /** The next few calls of an operation answer with the service's throttling error. */
  'throttle-burst',
  /** A Start* call takes effect, then its answer is a 500: a lost response. */
  'after-effect-500',
  /** A Start* call takes effect, then the connection closes without an answer. */
  'after-effect-drop',
  /** Redshift statements fail with ERROR: 1023, as concurrent transactions on a real cluster do. */
  'serialization-conflict',
  /** The worker process is killed (SIGKILL) mid-job; a new one is started at once. */
  'worker-sigkill',
  /** The Temporal dev server stops and starts again on its SQLite file. */
  'server-restart',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Operations a throttling burst may hit: starts, status polls and lake reads and writes. */
const THROTTLED_OPERATIONS = [
  'glue:StartJobRun',
  'glue:GetJobRun',
  'glue:GetJobRuns',
  'emr-serverless:StartJobRun',
  'emr-serverless:GetJobRun',
  'appflow:StartFlow',
  'appflow:DescribeFlowExecutionRecords',
  'dms:DescribeReplicationTasks',
  'redshift-data:ExecuteStatement',
  'redshift-data:DescribeStatement',
  's3:GetObject',
  's3:PutObject',
] as const;

/** Start* operations whose answer can be lost after the call took effect. */
const LOST_RESPONSE_OPERATIONS = [
  'glue:StartJobRun',
  'emr-serverless:StartJobRun',
  'appflow:StartFlow',
  'dms:StartReplicationTask',
  'redshift-data:ExecuteStatement',
  'redshift-data:BatchExecuteStatement',
] as const;

export type Fault =
  | { kind: 'throttle-burst'; atStart: number; operation: string; count: number }
  | { kind: 'after-effect-500' | 'after-effect-drop'; atStart: number; operation: string }
  | { kind: 'serialization-conflict'; atStart: number; count: number }
  | { kind: 'worker-sigkill' | 'server-restart'; atStart: number };

export interface FaultPlan {
  seed: number;
  kinds: FaultKind[];
  /** Ordered by atStart. */
  faults: Fault[];
}

export interface FaultPlanOptions {
  kinds?: readonly FaultKind[];
  /**
   * Start* calls a clean run of the backfill makes (about 20 per shop day); faults fire before
   * 70% of them, so that work remains after each to prove the run recovered.
   */
  horizon: number;
}

/** How many faults of each kind a plan holds, as [min, max]. */
const PER_KIND: Record<FaultKind, [number, number]> = {
  'throttle-burst': [2, 4],
  'after-effect-500': [1, 3],
  'after-effect-drop': [1, 3],
  'serialization-conflict': [1, 2],
  'worker-sigkill': [1, 1],
  'server-restart': [1, 1],
};

export function faultPlan(seed: number, options: FaultPlanOptions): FaultPlan {
  const kinds = FAULT_KINDS.filter((kind) => (options.kinds ?? FAULT_KINDS).includes(kind));
  const last = Math.max(2, Math.floor(options.horizon * 0.7));
  const faults: Fault[] = [];
  for (const kind of kinds) {
    // One stream per kind: enabling a kind leaves the others' faults where they were for a seed.
    const random = new SeededRandom(seed, FAULT_KINDS.indexOf(kind));
    const [min, max] = PER_KIND[kind];
    for (let i = random.int(min, max); i > 0; i--) {
      const atStart = random.int(1, last);
      switch (kind) {
        case 'throttle-burst':
          faults.push({
            kind,
            atStart,
            operation: random.pick(THROTTLED_OPERATIONS),
            count: random.int(1, 4),
          });
          break;
        case 'after-effect-500':
        case 'after-effect-drop':
          faults.push({ kind, atStart, operation: random.pick(LOST_RESPONSE_OPERATIONS) });
          break;
        case 'serialization-conflict':
          faults.push({ kind, atStart, count: random.int(1, 2) });
          break;
        case 'worker-sigkill':
        case 'server-restart':
          faults.push({ kind, atStart });
          break;
      }
    }
  }
  separateCrashes(faults, last);
  faults.sort((a, b) => a.atStart - b.atStart || FAULT_KINDS.indexOf(a.kind) - FAULT_KINDS.indexOf(b.kind));
  return { seed, kinds, faults };
}

/**
 * A worker kill and a server restart at the same Start* count would be one outage, not two faults,
 * and the kill's recovery time would measure the restart: keep them apart.
 */
function separateCrashes(faults: Fault[], last: number): void {
  const kill = faults.find((f) => f.kind === 'worker-sigkill');
  const restart = faults.find((f) => f.kind === 'server-restart');
  if (!kill || !restart || Math.abs(kill.atStart - restart.atStart) >= 5) return;
  restart.atStart = kill.atStart + 5 <= last ? kill.atStart + 5 : Math.max(1, kill.atStart - 5);
}

/** One line per fault, for the failure message of a seed and the script's output. */
export function describePlan(plan: FaultPlan): string {
  const lines = plan.faults.map((fault) => {
    const { kind, atStart, ...rest } = fault;
    const details = Object.entries(rest)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(' ');
    return `  at start #${atStart}: ${kind}${details ? ` ${details}` : ''}`;
  });
  return [`seed ${plan.seed} (kinds: ${plan.kinds.join(', ')})`, ...lines].join('\n');
}

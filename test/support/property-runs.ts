/**
 * How many random cases a property test checks. The full run (`npm test`, CI) checks what the issues
 * ask for (10,000 SCD2 histories per engine in the catch-up test); `npm run test:fast` sets
 * MEDALLION_TEST_FAST=1 and checks a sample, so that the inner loop stays short while every property
 * still runs on several groups of histories. An environment variable named by the test
 * overrides either, to chase a failure with more cases or fewer.
 */
/**
 * Histories per engine in the fast loop. A group's cost is mostly its statements, not its rows, so
 * the sample is a few large groups: enough histories that the rarest case the catch-up test requires
 * (a type 1 update, about one history in 60) is all but certain to occur.
 */
const FAST_LOOP_HISTORIES = 900;
/**
 * Groups per engine in the fast loop: a group shares its dates, split points and policies, so several
 * are drawn (three make a group with a multi-date merge all but certain in the catch-up test).
 */
const FAST_LOOP_GROUPS = 3;

export interface PropertyRuns {
  /** Histories to check. */
  runs: number;
  /** Histories merged together in one property run (one fresh dimension). */
  group: number;
  /** Said in the test's name, so a report shows which count ran. */
  label: string;
}

/**
 * The run count and group size for one engine: `runsVariable` and `groupVariable` if set, else the
 * fast loop's sample, else `full`.
 */
export function propertyRuns(
  full: { runs: number; group: number },
  runsVariable: string,
  groupVariable: string,
): PropertyRuns {
  const sample = process.env.MEDALLION_TEST_FAST === '1' && !process.env[runsVariable];
  const runs = positiveIntegerFromEnv(
    runsVariable,
    sample ? Math.min(full.runs, FAST_LOOP_HISTORIES) : full.runs,
  );
  const defaultGroup = sample ? Math.ceil(runs / FAST_LOOP_GROUPS) : full.group;
  const group = Math.min(positiveIntegerFromEnv(groupVariable, defaultGroup), runs);
  const label = sample
    ? `${runs} random change histories in ${Math.ceil(runs / group)} groups (MEDALLION_TEST_FAST; the full run checks ${full.runs})`
    : `${runs} random change histories`;
  return { runs, group, label };
}

function positiveIntegerFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer (a count of histories), got "${raw}"`);
  return value;
}

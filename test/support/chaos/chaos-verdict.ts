/**
 * What every chaos seed must show, as a list of broken promises (empty = the seed passed): every date
 * succeeded, no run key started more than one AWS run, the warehouse equals the clean run's row for
 * row, the SCD2 invariants hold, no worker died on its own. Shared by the test and test/support/chaos/sweep-seeds.ts.
 */
import { statementAttemptKey } from '../../../activities/redshift-statement-attempts';
import type { StartCall } from '../../../emulator/scripting/start-call-log';
import type { ChaosOutcome } from './chaos-backfill';
import { describePlan, FAULT_KINDS } from './fault-plan';
import { snapshotDifferences } from './warehouse-snapshot';

export function chaosProblems(outcome: ChaosOutcome, clean: ChaosOutcome, dates: string[]): string[] {
  const problems: string[] = [];
  if (outcome.error) problems.push(`the backfill failed: ${outcome.error}`);
  const statuses = outcome.backfill?.dates.map((d) => `${d.date} ${d.status}`) ?? [];
  const expected = dates.map((date) => `${date} succeeded`);
  if (JSON.stringify(statuses) !== JSON.stringify(expected))
    problems.push(`dates: ${statuses.join(', ') || '(no result)'}; expected every date succeeded`);
  problems.push(...runsStartedTwice(outcome.startCalls, outcome.failedStatements));
  problems.push(...dmsStartsDiffer(outcome.startCalls, clean.startCalls));
  problems.push(...snapshotDifferences(outcome.warehouse, clean.warehouse));
  problems.push(...outcome.scd2Problems);
  for (const death of outcome.workerDeaths) problems.push(`a worker process died on its own:\n${death}`);
  return problems;
}

/**
 * Every run key (Glue --medallion_run_key, EMR / AppFlow clientToken, Redshift Data ClientToken) under
 * which the emulator started more than one run that did work. A replayed call (same token, the earlier
 * run returned) and a refused one did no work; nor did a Redshift statement that FAILED (its
 * transaction rolled back), whose retry runs as a new statement under `<run key>.r<n>`.
 */
function runsStartedTwice(calls: StartCall[], failedRunIds: readonly string[] = []): string[] {
  const failed = new Set(failedRunIds);
  const started = new Map<string, StartCall[]>();
  for (const call of calls) {
    if (call.outcome !== 'started' || !call.idempotencyKey) continue;
    if (call.runId && failed.has(call.runId)) continue;
    const runKey = statementAttemptBase(call.idempotencyKey);
    started.set(runKey, [...(started.get(runKey) ?? []), call]);
  }
  return [...started.entries()]
    .filter(([, runs]) => runs.length > 1)
    .map(
      ([key, runs]) =>
        `run key ${key} started ${runs.length} runs that did work: ${runs.map((r) => `${r.operation} ${r.idempotencyKey} ${r.runId ?? ''}`).join(', ')}`,
    );
}

/** The part of a key every Redshift statement attempt of one run key shares (activities/redshift-statement-attempts.ts). */
function statementAttemptBase(key: string): string {
  return /\.r\d+$/.test(key) ? key.replace(/\.r\d+$/, '') : statementAttemptKey(key, 2).replace(/\.r2$/, '');
}

/**
 * Starts of the DMS task, which takes no token: the chaos run must start it as often as the clean run
 * did (once per CDC window); a lost response retried blindly would start it twice. The Glue crawler,
 * the other start without a key, is shared by every date: a stage that finds it crawling waits for that
 * crawl to end and starts its own, so how often it starts depends on timing, not on correctness.
 */
function dmsStartsDiffer(calls: StartCall[], clean: StartCall[]): string[] {
  const count = (list: StartCall[]) =>
    list.filter((call) => call.operation === 'StartReplicationTask' && call.outcome === 'started').length;
  const actual = count(calls);
  const expected = count(clean);
  return actual === expected
    ? []
    : [`StartReplicationTask started ${actual} task runs, the clean run ${expected}`];
}

/** The seed's plan, what hit it and how it recovered: printed for every seed, and on failure. */
export function describeOutcome(outcome: ChaosOutcome): string {
  const injected = FAULT_KINDS.filter((kind) => outcome.injected[kind] > 0)
    .map((kind) => `${kind} ${outcome.injected[kind]}`)
    .join(', ');
  const recoveries = outcome.recoveries.map((r) =>
    r.recoveryMs === undefined
      ? 'no activity was in flight at the kill'
      : `${(r.recoveryMs / 1000).toFixed(1)} s (${r.resumed.length} activities resumed)`,
  );
  return [
    describePlan(outcome.plan),
    `  injected: ${injected || 'nothing'}; ${outcome.startCalls.length} Start* calls; ${(outcome.elapsedMs / 1000).toFixed(0)} s`,
    ...(recoveries.length
      ? [`  crash recovery (SIGKILL to the next attempt started): ${recoveries.join('; ')}`]
      : []),
    ...(outcome.restartsMs.length
      ? [`  dev server restarts: ${outcome.restartsMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}`]
      : []),
  ].join('\n');
}

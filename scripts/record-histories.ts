/**
 * Records the histories of representative runs into test/histories/, for the replay tests that guard
 * workflow determinism (test/replay/replay.test.ts). Runs them on the real local stack: the Temporal
 * dev server, the AWS emulator on DuckDB and the production worker, in a fresh temporary data dir.
 *
 *   npx tsx scripts/record-histories.ts                    # every scenario
 *   npx tsx scripts/record-histories.ts --only daily-cancel # some of them (comma-separated)
 *   npx tsx scripts/record-histories.ts --list              # what there is
 *   npx tsx scripts/record-histories.ts --out /tmp/h        # somewhere else (e.g. to compare)
 *
 * Each history is written as `<scenario>.<part>.json`, the JSON of `handle.fetchHistory()` — the same
 * format the Temporal UI's "Download" and `temporal workflow show --output json` produce, so a history
 * taken from production can be dropped next to them. test/histories/README.md lists what was recorded.
 *
 * To add a scenario, add one entry to `scenarios` below: give it the next free logical dates (after
 * the last date an earlier scenario uses) and return the runs to keep.
 * Re-record only when you mean to: old histories are the point, they must keep replaying on new code.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { parseArgs as parseCliArgs } from 'node:util';
import path from 'node:path';
import { type Client, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startBackfill } from '../cli/commands/backfill';
import { startDailyRun } from '../cli/daily-runs';
import { type LocalStack, startLocalStack } from '../local/local-stack';
import { dailyRunId } from '../core/activity-contracts';
import type { BackfillInput } from '../core/backfill-contracts';
import { addDays, dateRange } from '../core/dates';
import type { DailyRunReport, StageReport } from '../core/run-report';
import { loadPipelines } from '../pipelines/registry';
import { HISTORIES_DIR, historyToJson } from '../test/support/replay/history-files';
import { progressQuery } from '../workflows';
import { buildWorkflowBundle } from '../workers/workflow-bundle';

/** One recorded run: which execution, and the name part that tells it apart within its scenario. */
export interface RecordedRun {
  part: string;
  workflowId: string;
  runId: string;
  /** How the run ended, for the README (COMPLETED, FAILED, CANCELED, CONTINUED_AS_NEW...). */
  outcome: string;
}

export interface ScenarioContext {
  stack: LocalStack;
  client: Client;
  taskQueue: string;
  say(line: string): void;
}

export interface Scenario {
  name: string;
  /** What the run does and why its history is worth keeping. */
  description: string;
  record(ctx: ScenarioContext): Promise<RecordedRun[]>;
}

/** The simulated shop's first day; each scenario takes its own later date (DMS CDC runs in date order). */
const FIRST_DAY = '2026-01-15';
const PIPELINE = 'shop';
/** The backfill scenario's range: the three dates after the daily scenarios' 2026-01-15..17 (later scenarios: 2026-01-21). */
const BACKFILL_FROM = '2026-01-18';
const BACKFILL_TO = '2026-01-20';

async function finish(
  ctx: ScenarioContext,
  handle: { workflowId: string; result(): Promise<unknown> },
  part: string,
): Promise<RecordedRun> {
  await handle.result().catch(() => undefined);
  const description = await ctx.client.workflow.getHandle(handle.workflowId).describe();
  ctx.say(`  ${part}: ${handle.workflowId} run ${description.runId} ${description.status.name}`);
  return { part, workflowId: handle.workflowId, runId: description.runId, outcome: description.status.name };
}

async function waitForStage(
  ctx: ScenarioContext,
  workflowId: string,
  until: (stage: StageReport) => boolean,
  timeoutMs = 120_000,
): Promise<DailyRunReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await ctx.client.workflow
      .getHandle(workflowId)
      .query(progressQuery)
      .catch(() => undefined);
    if (report?.stages.some(until)) return report;
    if (Date.now() > deadline) throw new Error(`${workflowId}: the awaited stage state never came`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The DMS (CDC window) stages of the pipeline: they run in date order, each window after the last. */
function cdcStages(): string[] {
  return loadPipelines()
    [PIPELINE]!.stages.filter((s) => s.kind === 'dms')
    .map((s) => s.id);
}

/**
 * DMS CDC windows run in date order: each date's window starts where the previous date's stopped. When
 * a scenario runs alone (`--only`), the dates before `from` never ran on this fresh stack, and its
 * first window would start the task afresh (start-replication at the day's start) instead of resuming
 * as in the full recording. Runs the missing windows of those dates first (daily runs of the DMS
 * stages only; not recorded), so a scenario's history is the same alone or with the others.
 */
async function ensureEarlierCdcWindows(ctx: ScenarioContext, from: string): Promise<void> {
  const stages = cdcStages();
  for (const date of dateRange(FIRST_DAY, addDays(from, -1))) {
    const workflowId = dailyRunId(PIPELINE, date);
    const report = await ctx.client.workflow
      .getHandle(workflowId)
      .query(progressQuery)
      .catch((error: unknown) => {
        if (error instanceof WorkflowNotFoundError) return undefined;
        throw error;
      });
    const done = new Set(
      report?.stages.filter((s) => s.status === 'succeeded' || s.status === 'skipped').map((s) => s.id),
    );
    const missing = stages.filter((id) => !done.has(id));
    if (missing.length === 0) continue;
    ctx.say(`  ${date}: running the CDC window(s) ${missing.join(', ')} first (not recorded)`);
    const handle = await startDailyRun(ctx.client, {
      pipeline: PIPELINE,
      logicalDate: date,
      taskQueue: ctx.taskQueue,
      stages: missing,
      ...(report ? { rerun: true } : {}),
    });
    await handle.result();
  }
}

/** Every run of a workflow id, oldest first: the runs of a continue-as-new chain. */
async function backfillChain(ctx: ScenarioContext, workflowId: string): Promise<RecordedRun[]> {
  const runs = [];
  for await (const execution of ctx.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs.push(execution);
  }
  runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  const chain = runs.map((execution, i): RecordedRun => {
    const outcome = execution.status.name;
    return {
      part: `${i + 1}-${outcome.toLowerCase().replaceAll('_', '-')}`,
      workflowId,
      runId: execution.runId,
      outcome,
    };
  });
  const outcomes = chain.map((r) => r.outcome);
  if (
    chain.length < 2 ||
    outcomes.slice(0, -1).some((o) => o !== 'CONTINUED_AS_NEW') ||
    outcomes.at(-1) !== 'COMPLETED'
  ) {
    throw new Error(
      `${workflowId}: expected runs that continued as new, then one that completed; got ${outcomes.join(', ')}`,
    );
  }
  for (const run of chain) ctx.say(`  ${run.part}: ${workflowId} run ${run.runId} ${run.outcome}`);
  return chain;
}

/** The one run of `date` the backfill started (the dates before the range ran earlier, not this one). */
async function dateRun(ctx: ScenarioContext, date: string): Promise<RecordedRun> {
  const workflowId = dailyRunId(PIPELINE, date);
  const description = await ctx.client.workflow.getHandle(workflowId).describe();
  if (!description.parentExecution)
    throw new Error(`${workflowId}: its latest run was not started by a backfill`);
  const outcome = description.status.name;
  ctx.say(`  run of ${date}: ${workflowId} run ${description.runId} ${outcome}`);
  return { part: `date-run-${date}`, workflowId, runId: description.runId, outcome };
}

/** Records one shop day that succeeds. */
function succeedingDay(logicalDate: string): Scenario['record'] {
  return async (ctx) => {
    const handle = await startDailyRun(ctx.client, {
      pipeline: PIPELINE,
      logicalDate,
      taskQueue: ctx.taskQueue,
    });
    return [await finish(ctx, handle, 'succeeded')];
  };
}

export const scenarios: Scenario[] = [
  {
    name: 'daily-success',
    description: 'one shop day, every stage kind, all stages succeed',
    record: succeedingDay('2026-01-15'),
  },
  {
    name: 'daily-failure-rerun',
    description:
      'silver_orders fails (Glue FAILED): its dependents are blocked, independent branches finish; ' +
      'the rerun (generation 1) skips finished stages and completes the day',
    async record(ctx) {
      await ctx.stack.emulator.admin.failNextRuns({
        service: 'glue',
        name: 'silver_orders',
        // The run and its two job retries.
        count: 3,
        message: 'Scripted failure: division by zero in silver_orders',
      });
      const failed = await startDailyRun(ctx.client, {
        pipeline: PIPELINE,
        logicalDate: '2026-01-16',
        taskQueue: ctx.taskQueue,
      });
      const first = await finish(ctx, failed, '1-failed');
      if (first.outcome !== 'FAILED') throw new Error(`expected the first run to fail, it ${first.outcome}`);
      const rerun = await startDailyRun(ctx.client, {
        pipeline: PIPELINE,
        logicalDate: '2026-01-16',
        taskQueue: ctx.taskQueue,
        rerun: true,
      });
      return [first, await finish(ctx, rerun, '2-rerun')];
    },
  },
  {
    name: 'daily-cancel',
    description:
      'cancelled while silver_orders runs: the stage activity stops its Glue job, the run ends CANCELLED',
    async record(ctx) {
      await ctx.stack.emulator.admin.setDuration({ service: 'glue', name: 'silver_orders', ms: 120_000 });
      try {
        const handle = await startDailyRun(ctx.client, {
          pipeline: PIPELINE,
          logicalDate: '2026-01-17',
          taskQueue: ctx.taskQueue,
        });
        await waitForStage(ctx, handle.workflowId, (s) => s.id === 'silver_orders' && s.status === 'running');
        // Let the stage's activity heartbeat the Glue run id first, so the cancel has a job to stop.
        await new Promise((r) => setTimeout(r, 1500));
        await handle.cancel();
        return [await finish(ctx, handle, 'cancelled')];
      } finally {
        await ctx.stack.emulator.admin.resetScript();
      }
    },
  },
  {
    name: 'backfill-continue-as-new',
    description:
      `backfill of ${BACKFILL_FROM}..${BACKFILL_TO} (maxConcurrent 2, childrenPerRun 2): one run per date, ` +
      'CDC windows in the ingest lane, SCD2 merges in the dimension lane (consecutive ready dates in one ' +
      `transaction); every run of its continue-as-new chain, and the run of ${BACKFILL_FROM}`,
    async record(ctx) {
      await ensureEarlierCdcWindows(ctx, BACKFILL_FROM);
      const input: BackfillInput = {
        pipeline: PIPELINE,
        from: BACKFILL_FROM,
        to: BACKFILL_TO,
        maxConcurrent: 2,
        childrenPerRun: 2,
      };
      const handle = await startBackfill(ctx.client, ctx.taskQueue, input, (line) => ctx.say(line));
      // Follows the chain through every continue-as-new to the last run's result.
      await handle.result();
      const chain = await backfillChain(ctx, handle.workflowId);
      return [...chain, await dateRun(ctx, BACKFILL_FROM)];
    },
  },
];

/**
 * A history that does not replay on the very code that produced it is a nondeterminism bug in the
 * workflow (not a fixture to keep): refuse it, loudly.
 */
async function checkReplays(bundle: WorkflowBundleWithSourceMap, history: History, run: RecordedRun) {
  try {
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, run.workflowId);
  } catch (error) {
    throw new Error(
      `${run.workflowId} run ${run.runId} does not replay on the code that just ran it, so the workflow is ` +
        `nondeterministic: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

async function saveHistory(
  client: Client,
  bundle: WorkflowBundleWithSourceMap,
  outDir: string,
  scenario: Scenario,
  run: RecordedRun,
): Promise<string> {
  const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
  await checkReplays(bundle, history, run);
  const file = `${scenario.name}.${run.part}.json`;
  writeFileSync(path.join(outDir, file), historyToJson(history));
  return `| ${file} | ${run.workflowId} | ${run.outcome} | ${history.events?.length ?? 0} | ${scenario.description} |`;
}

function writeReadme(outDir: string, rows: string[], provenance: string[]): void {
  const text = [
    '# Recorded workflow histories',
    '',
    'Replayed by `test/replay/replay.test.ts` against the production workflow bundle on every test run:',
    'a change to workflow code that would break a run already in flight fails that test. Until the first',
    'release no production history exists: workflow changes re-record these (`npx tsx scripts/record-histories.ts`);',
    'after it, such changes are gated with `patched()`.',
    '',
    'Recorded on the local stack (dev server + AWS emulator), per scenario:',
    '',
    ...provenance,
    '',
    '| file | workflow id | outcome | events | scenario |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
  writeFileSync(path.join(outDir, 'README.md'), text);
}

/** The commit the recorded code came from, and whether the working tree differed from it. */
function sourceVersion(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'workflows'], {
      encoding: 'utf8',
    }).trim();
    return `commit ${commit}${dirty ? ' (with uncommitted changes in workflows/)' : ''}`;
  } catch {
    return 'an unknown commit (no git)';
  }
}

function sdkVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- read the installed version
  return (require('@temporalio/worker/package.json') as { version: string }).version;
}

interface Args {
  only?: string[];
  list: boolean;
  outDir: string;
}

function parseArgs(argv: string[]): Args {
  const { values } = parseCliArgs({
    args: argv,
    options: { only: { type: 'string' }, out: { type: 'string' }, list: { type: 'boolean', default: false } },
  });
  const outDir = path.resolve(values.out ?? HISTORIES_DIR);
  if (values.only === undefined) return { list: values.list, outDir };
  const only = values.only.split(',').filter(Boolean);
  const unknown = only.filter((name) => !scenarios.some((s) => s.name === name));
  if (only.length === 0 || unknown.length > 0) {
    throw new Error(`--only ${values.only}: name scenarios from ${scenarios.map((s) => s.name).join(', ')}`);
  }
  return { only, list: values.list, outDir };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const say = (line: string) => process.stdout.write(`${line}\n`);
  if (args.list) {
    for (const s of scenarios) say(`${s.name.padEnd(24)} ${s.description}`);
    return;
  }
  const chosen = scenarios.filter((s) => !args.only || args.only.includes(s.name));
  const bundle = await buildWorkflowBundle();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'medallion-record-'));
  const stack = await startLocalStack({ dataDir, firstDay: FIRST_DAY, say: () => undefined });
  const ctx: ScenarioContext = {
    stack,
    client: stack.client,
    taskQueue: stack.config.temporal.taskQueue,
    say,
  };
  try {
    mkdirSync(args.outDir, { recursive: true });
    const rows: string[] = [];
    for (const scenario of chosen) {
      say(`${scenario.name}: ${scenario.description}`);
      const started = performance.now();
      const runs = await scenario.record(ctx);
      removeOldFiles(args.outDir, scenario);
      for (const run of runs) rows.push(await saveHistory(ctx.client, bundle, args.outDir, scenario, run));
      say(`  recorded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    const allRows = mergeRows(args.outDir, rows, chosen);
    writeReadme(args.outDir, allRows, mergeProvenance(args.outDir, allRows, chosen));
    say(`histories in ${path.relative(process.cwd(), args.outDir) || '.'}/`);
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Keeps the README rows of scenarios not recorded this time (when --only is used). */
function mergeRows(outDir: string, fresh: string[], recorded: Scenario[]): string[] {
  const readme = path.join(outDir, 'README.md');
  const previous = existsSync(readme) ? readFileSync(readme, 'utf8').split('\n') : [];
  const kept = previous.filter(
    (line) => /^\| [^ ]+\.json \|/.test(line) && !recorded.some((s) => line.startsWith(`| ${s.name}.`)),
  );
  return [...fresh, ...kept].sort();
}

/**
 * Which SDK and commit each scenario's files were recorded with: the ones recorded now get today's,
 * the others keep theirs from the README (from its single "Recorded with" line, in READMEs before
 * there was one line per scenario).
 */
function mergeProvenance(outDir: string, rows: string[], recorded: Scenario[]): string[] {
  const readme = path.join(outDir, 'README.md');
  const previous = existsSync(readme) ? readFileSync(readme, 'utf8').split('\n') : [];
  const legacy = previous
    .map((line) => /^Recorded with (@temporalio\/\* .+?) on the local stack/.exec(line)?.[1])
    .find((v) => v !== undefined);
  const byScenario = new Map<string, string>();
  for (const line of previous) {
    const match = /^- ([\w-]+): (.+)$/.exec(line);
    if (match) byScenario.set(match[1]!, match[2]!);
  }
  const now = `@temporalio/* ${sdkVersion()} at ${sourceVersion()}`;
  for (const scenario of recorded) byScenario.set(scenario.name, now);
  const names = [...new Set(rows.map((row) => /^\| ([^.| ]+)\./.exec(row)?.[1]))].filter(
    (name): name is string => name !== undefined,
  );
  return names.sort().map((name) => `- ${name}: ${byScenario.get(name) ?? legacy ?? 'unknown'}`);
}

/** A scenario recorded again replaces all of its files (its parts may have changed). */
function removeOldFiles(outDir: string, scenario: Scenario): void {
  for (const file of readdirSync(outDir)) {
    if (file.startsWith(`${scenario.name}.`) && file.endsWith('.json')) rmSync(path.join(outDir, file));
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    if (error instanceof WorkflowFailedError) process.stderr.write(`${error.message}\n`);
    process.stderr.write(`record-histories: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}

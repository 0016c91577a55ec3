/**
 * `medallion rerun --failed [--since 7d] [--pipeline shop] [--dry-run]`: finds, through Temporal
 * visibility, the dates whose latest daily run failed, and runs each again on today's code as a
 * deliberate rerun: finished stages are skipped, failed and never-run stages run with fresh AWS
 * idempotency keys (the next generation). Dates run one after another, oldest first (dimension
 * merges must apply in date order), and the walk stops at the first date that fails again.
 */
import type { Client } from '@temporalio/client';
import { durationMs } from '../../core/durations';
import { isIsoDate } from '../../core/dates';
import type { DailyRunReport } from '../../core/run-report';
import { connectCli } from '../connect';
import { followRun, startDailyRun } from '../daily-runs';
import { failureReport } from '../failure-report';
import { type DailyRunRow, type DateRuns, listDailyRuns, quoted, runsPerDate } from './status';

export interface RerunOptions {
  failed?: boolean;
  since: string;
  pipeline?: string;
  dryRun?: boolean;
}

/** Execution outcomes `--failed` re-runs. Cancelled and terminated runs were stopped on purpose. */
const FAILED_STATES = new Set(['failed', 'timed-out']);

export interface RerunSelection {
  /** Dates whose latest run failed, oldest first. */
  toRerun: DateRuns[];
  /** Dates with a failed run in the window that need nothing: a later run succeeded or is running. */
  settled: { day: DateRuns; reason: string }[];
}

/** `7d`, `36h`, `2w` back from `now`, or a date (YYYY-MM-DD, from its UTC midnight). */
export function parseSince(since: string, now = new Date()): Date {
  if (isIsoDate(since)) return new Date(`${since}T00:00:00Z`);
  let ms = Number.NaN;
  try {
    if (/^\d+\s*[a-z]+$/i.test(since.trim())) ms = durationMs(since.trim());
  } catch {
    // Not a unit the duration parser knows (e.g. "3x"): the message below says what to write.
  }
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new Error(`--since ${since}: use a duration back from now such as 7d or 36h, or a date YYYY-MM-DD`);
  }
  return new Date(now.getTime() - ms);
}

/** Checks the options before anything connects; returns the start of the window. */
export function checkOptions(options: RerunOptions): Date {
  if (!options.failed) {
    throw new Error('say which runs to rerun: --failed (dates whose latest run failed) is the selection');
  }
  return parseSince(options.since);
}

/** Decides per date from all its runs in the window: rerun when the newest one failed. */
export function selectFailedDates(days: DateRuns[]): RerunSelection {
  const selection: RerunSelection = { toRerun: [], settled: [] };
  for (const day of days) {
    const latest = day.runs[0]!;
    if (FAILED_STATES.has(latest.state)) selection.toRerun.push(day);
    else if (day.runs.some((r) => FAILED_STATES.has(r.state))) {
      const reason = latest.closeTime ? `its latest run ${latest.state}` : 'a run of it is in progress';
      selection.settled.push({ day, reason });
    }
  }
  return selection;
}

/**
 * Every dailyPipeline run that closed since `since` or is still open (the newest run of a date that
 * failed in the window is one of them), grouped per date.
 */
async function findFailedDates(
  client: Client,
  options: { since: Date; pipeline?: string },
): Promise<RerunSelection> {
  const pipeline = options.pipeline ? ` AND MedallionPipeline = ${quoted(options.pipeline)}` : '';
  const window = `(CloseTime >= ${quoted(options.since.toISOString())} OR ExecutionStatus = 'Running')`;
  return selectFailedDates(runsPerDate(await listDailyRuns(client, `${window}${pipeline}`)));
}

async function failureOf(client: Client, run: DailyRunRow): Promise<ReturnType<typeof failureReport>> {
  return client.workflow
    .getHandle(run.workflowId, run.runId)
    .result()
    .then(
      () => undefined,
      (error: unknown) => failureReport(error),
    );
}

function stagesByOutcome(report: DailyRunReport | undefined): { done: string[]; again: string[] } {
  const stages = report?.stages ?? [];
  return {
    done: stages.filter((s) => s.status === 'succeeded' || s.status === 'skipped').map((s) => s.id),
    again: stages.filter((s) => s.status !== 'succeeded' && s.status !== 'skipped').map((s) => s.id),
  };
}

export interface RerunOutcome {
  pipeline: string;
  logicalDate: string;
  result: 'would-rerun' | 'succeeded' | 'failed' | 'not-started';
  generation?: number;
}

/** Finds the failed dates and reruns them in date order (or only says what it would do). */
export async function rerunFailedRuns(
  client: Client,
  taskQueue: string,
  options: RerunOptions,
  say: (line: string) => void,
): Promise<RerunOutcome[]> {
  const since = checkOptions(options);
  const { toRerun, settled } = await findFailedDates(client, {
    since,
    ...(options.pipeline ? { pipeline: options.pipeline } : {}),
  });
  const scope = `${options.pipeline ?? 'any pipeline'} since ${since.toISOString()}`;
  for (const { day, reason } of settled) say(`${day.pipeline} ${day.logicalDate}: nothing to do, ${reason}`);
  if (toRerun.length === 0) {
    say(`no failed dates of ${scope}`);
    return [];
  }
  say(
    `${toRerun.length} failed date(s) of ${scope}${options.dryRun ? ' (dry run: nothing is started)' : ''}:`,
  );
  const outcomes: RerunOutcome[] = [];
  let stoppedAt: string | undefined;
  for (const day of toRerun) {
    const failed = day.runs[0]!;
    const label = `${day.pipeline} ${day.logicalDate}`;
    if (stoppedAt) {
      say(`${label}: not started, it waits for ${stoppedAt}`);
      outcomes.push({ pipeline: day.pipeline, logicalDate: day.logicalDate, result: 'not-started' });
      continue;
    }
    const failure = await failureOf(client, failed);
    const { done, again } = stagesByOutcome(failure);
    say(
      `${label}: ${failed.state} ${failed.closeTime?.toISOString() ?? ''} (generation ${failed.generation ?? '-'}, ${failed.workflowId} run ${failed.runId})`,
    );
    if (failure?.message) say(`  cause: ${failure.message}`);
    if (failure?.stages) {
      say(`  skips ${done.length} finished stage(s)${done.length ? `: ${done.join(', ')}` : ''}`);
      say(`  runs ${again.length} stage(s) with fresh keys: ${again.join(', ')}`);
    }
    if (options.dryRun) {
      outcomes.push({ pipeline: day.pipeline, logicalDate: day.logicalDate, result: 'would-rerun' });
      continue;
    }
    const handle = await startDailyRun(client, {
      pipeline: day.pipeline,
      logicalDate: day.logicalDate,
      taskQueue,
      rerun: true,
    });
    say(`  rerun started: ${handle.workflowId}`);
    try {
      const report = await followRun(handle, (line) => say(`  ${line}`));
      say(`  ✓ ${label} succeeded, generation ${report.generation}`);
      outcomes.push({
        pipeline: day.pipeline,
        logicalDate: day.logicalDate,
        result: 'succeeded',
        generation: report.generation,
      });
    } catch (error) {
      const again = failureReport(error);
      say(
        `  ✗ ${label} failed again: ${again?.message ?? (error instanceof Error ? error.message : String(error))}`,
      );
      outcomes.push({
        pipeline: day.pipeline,
        logicalDate: day.logicalDate,
        result: 'failed',
        ...(again?.generation !== undefined ? { generation: again.generation } : {}),
      });
      stoppedAt = label;
    }
  }
  return outcomes;
}

export async function rerunCommand(options: RerunOptions): Promise<void> {
  checkOptions(options);
  const cli = await connectCli();
  try {
    const outcomes = await rerunFailedRuns(cli.client, cli.taskQueue, options, (line) =>
      process.stdout.write(`${line}\n`),
    );
    const failed = outcomes.filter((o) => o.result === 'failed' || o.result === 'not-started');
    if (failed.length > 0) {
      throw new Error(
        `${failed.length} date(s) still not done; fix the cause, then run \`medallion rerun --failed\` again`,
      );
    }
  } finally {
    await cli.close();
  }
}

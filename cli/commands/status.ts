/**
 * `medallion status [--pipeline shop] [--date D]`: each logical date's latest daily run, from Temporal
 * visibility. Dates come from the MedallionLogicalDate search attribute (schedule-started runs have
 * ids like `<schedule>-<RFC3339 slot>`, so ids say nothing reliable), or, for a scheduled run that has
 * not planned yet, from TemporalScheduledStartTime in the pipeline's time zone.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { isIsoDate, logicalDateForScheduledTime } from '../../core/dates';
import type { DailyRunReport } from '../../core/run-report';
import { scheduledStartTimeKey, searchAttributeKeys } from '../../core/search-attributes';
import { loadPipelines } from '../../pipelines/registry';
import { progressQuery } from '../../workflows';
import { connectCli } from '../connect';
import { checkLines } from '../check-lines';
import { failureReport } from '../failure-report';

export interface StatusOptions {
  pipeline: string;
  date?: string;
}

/** One dailyPipeline execution as visibility shows it. */
export interface DailyRunRow {
  pipeline: string;
  /** Undefined for a run that failed before it could plan (e.g. invalid input typed in the UI). */
  logicalDate?: string;
  workflowId: string;
  runId: string;
  /** succeeded, failed, cancelled, terminated, timed-out, or (open) planning / running / awaiting-merge. */
  state: string;
  generation?: number;
  startTime: Date;
  closeTime?: Date;
}

const CLOSED_STATES: Partial<Record<WorkflowExecutionInfo['status']['name'], string>> = {
  COMPLETED: 'succeeded',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed-out',
  CONTINUED_AS_NEW: 'continued-as-new',
};

let timeZones: Map<string, string> | undefined;
function timeZoneOf(pipeline: string): string | undefined {
  timeZones ??= new Map(Object.values(loadPipelines()).map((p) => [p.name, p.timeZone]));
  return timeZones.get(pipeline);
}

export function dailyRunRow(info: WorkflowExecutionInfo): DailyRunRow {
  const attributes = info.typedSearchAttributes;
  const pipeline = attributes.get(searchAttributeKeys.pipeline) ?? '?';
  const dateAttribute = attributes.get(searchAttributeKeys.logicalDate);
  const scheduledAt = attributes.get(scheduledStartTimeKey);
  const timeZone = timeZoneOf(pipeline);
  const logicalDate = dateAttribute
    ? dateAttribute
    : scheduledAt && timeZone
      ? logicalDateForScheduledTime(scheduledAt, timeZone)
      : undefined;
  const generation = attributes.get(searchAttributeKeys.generation);
  return {
    pipeline,
    workflowId: info.workflowId,
    runId: info.runId,
    state: dateState(info),
    startTime: info.startTime,
    ...(logicalDate ? { logicalDate } : {}),
    ...(generation !== undefined ? { generation } : {}),
    ...(info.closeTime ? { closeTime: info.closeTime } : {}),
  };
}

/**
 * A closed run's state from how it closed (a run completes only when every stage, merges included, is
 * done); an open run's from MedallionStatus (`awaiting-merge` while a backfill's run waits for its
 * dimension lane).
 */
function dateState(info: WorkflowExecutionInfo): string {
  const status = info.typedSearchAttributes.get(searchAttributeKeys.status);
  return CLOSED_STATES[info.status.name] ?? status ?? 'running';
}

/** Quotes a value for a visibility query. */
export function quoted(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export async function listDailyRuns(client: Client, condition?: string): Promise<DailyRunRow[]> {
  const query = `WorkflowType = 'dailyPipeline'${condition ? ` AND ${condition}` : ''}`;
  const rows: DailyRunRow[] = [];
  for await (const info of client.workflow.list({ query })) rows.push(dailyRunRow(info));
  return rows;
}

export interface DateRuns {
  pipeline: string;
  logicalDate: string;
  /** Newest first: runs[0] is the one that decides the date's state. */
  runs: DailyRunRow[];
}

/** Runs grouped by pipeline and logical date, oldest date first; undated runs are left out. */
export function runsPerDate(rows: DailyRunRow[]): DateRuns[] {
  const groups = new Map<string, DateRuns>();
  for (const row of rows) {
    if (!row.logicalDate) continue;
    const key = `${row.pipeline} ${row.logicalDate}`;
    const group = groups.get(key) ?? { pipeline: row.pipeline, logicalDate: row.logicalDate, runs: [] };
    group.runs.push(row);
    groups.set(key, group);
  }
  for (const group of groups.values())
    group.runs.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
  return [...groups.values()].sort(
    (a, b) => a.pipeline.localeCompare(b.pipeline) || a.logicalDate.localeCompare(b.logicalDate),
  );
}

function describeRow(row: DailyRunRow): string {
  const generation = row.generation !== undefined ? `generation ${row.generation}` : 'not planned';
  const when = row.closeTime
    ? `closed ${row.closeTime.toISOString()}`
    : `started ${row.startTime.toISOString()}`;
  return `${row.state.padEnd(10)} ${generation.padEnd(13)} ${when}  ${row.workflowId}`;
}

async function reportOf(client: Client, row: DailyRunRow): Promise<DailyRunReport | undefined> {
  const handle = client.workflow.getHandle(row.workflowId, row.runId);
  const queried = await handle.query(progressQuery).catch(() => undefined);
  if (queried || !row.closeTime) return queried;
  // No worker to answer the query: a closed run's result (or failure) carries the report too.
  return handle.result().then(
    (report) => report as DailyRunReport,
    (error: unknown) => failureReport(error),
  );
}

/** Prints each date's latest run, or one date's runs and the stages of its latest. */
export async function printStatus(
  client: Client,
  options: StatusOptions,
  say: (line: string) => void,
): Promise<void> {
  const byPipeline = `MedallionPipeline = ${quoted(options.pipeline)}`;
  if (options.date) {
    if (!isIsoDate(options.date)) throw new Error(`--date ${options.date} is not a date; use YYYY-MM-DD`);
    const condition = `${byPipeline} AND MedallionLogicalDate = ${quoted(options.date)}`;
    const [runs] = runsPerDate(await listDailyRuns(client, condition));
    if (!runs) return say(`no run of ${options.pipeline} for ${options.date} yet`);
    say(`${options.pipeline} ${options.date}: ${runs.runs.length} run(s), newest first`);
    for (const row of runs.runs) say(`  ${describeRow(row)}`);
    const report = await reportOf(client, runs.runs[0]!);
    for (const stage of report?.stages ?? []) {
      say(`    ${stage.id.padEnd(26)} ${stage.status}${stage.error ? `: ${stage.error}` : ''}`);
      for (const line of checkLines(stage.checks, '      ')) say(line);
    }
    return;
  }
  const rows = await listDailyRuns(client, byPipeline);
  if (rows.length === 0) return say(`no runs of ${options.pipeline} yet`);
  for (const day of runsPerDate(rows)) {
    const runs = day.runs.length > 1 ? `  (${day.runs.length} runs)` : '';
    say(`${day.logicalDate}  ${describeRow(day.runs[0]!)}${runs}`);
  }
  const undated = rows.filter((r) => !r.logicalDate);
  if (undated.length > 0) say(`${undated.length} run(s) ended before planning a date (see the UI):`);
  for (const row of undated) say(`  ${describeRow(row)}`);
}

export async function statusCommand(options: StatusOptions): Promise<void> {
  const cli = await connectCli();
  try {
    await printStatus(cli.client, options, (line) => process.stdout.write(`${line}\n`));
  } finally {
    await cli.close();
  }
}

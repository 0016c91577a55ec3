import { isIsoDate } from '../../core/dates';
import { connectCli } from '../connect';
import { followRun, startDailyRun } from '../daily-runs';
import { failureReport } from '../failure-report';

export interface RunOptions {
  date: string;
  pipeline: string;
  rerun?: boolean;
  stages?: string;
  detach?: boolean;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

export async function runCommand(options: RunOptions): Promise<void> {
  if (!isIsoDate(options.date)) throw new Error(`--date ${options.date} is not a date; use YYYY-MM-DD`);
  const cli = await connectCli();
  try {
    const stages = options.stages
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const handle = await startDailyRun(cli.client, {
      pipeline: options.pipeline,
      logicalDate: options.date,
      taskQueue: cli.taskQueue,
      ...(options.rerun ? { rerun: true } : {}),
      ...(stages ? { stages } : {}),
    });
    say(
      `started ${handle.workflowId}${cli.uiUrl ? ` — ${cli.uiUrl}/namespaces/${cli.namespace}/workflows/${encodeURIComponent(handle.workflowId)}` : ''}`,
    );
    if (options.detach) return;
    try {
      const report = await followRun(handle, say);
      say(`completed: ${report.totals.rowsOut} rows out, ${report.totals.quarantined} quarantined`);
    } catch (error) {
      throw new Error(
        failureReport(error)?.message ?? (error instanceof Error ? error.message : String(error)),
      );
    }
  } finally {
    await cli.close();
  }
}

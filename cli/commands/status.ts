import { dailyRunId } from '../../core/activity-contracts';
import { isIsoDate } from '../../core/dates';
import { progressQuery } from '../../workflows';
import { connectCli } from '../connect';

export interface StatusOptions {
  pipeline: string;
  date?: string;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

/** Each date's latest run (from visibility), or one date's stages. */
export async function statusCommand(options: StatusOptions): Promise<void> {
  const cli = await connectCli();
  try {
    if (options.date) {
      if (!isIsoDate(options.date)) throw new Error(`--date ${options.date} is not a date; use YYYY-MM-DD`);
      const handle = cli.client.workflow.getHandle(dailyRunId(options.pipeline, options.date));
      const description = await handle.describe();
      say(`${handle.workflowId}: ${description.status.name}`);
      const report = await handle.query(progressQuery).catch(() => undefined);
      for (const stage of report?.stages ?? []) {
        say(`  ${stage.id.padEnd(26)} ${stage.status}${stage.error ? `: ${stage.error}` : ''}`);
      }
      return;
    }
    const latest = new Map<string, { status: string; generation: number | string; closed?: Date }>();
    const query = `WorkflowType = 'dailyPipeline' AND MedallionPipeline = '${options.pipeline}'`;
    for await (const run of cli.client.workflow.list({ query })) {
      const date = run.workflowId.split('/').pop() ?? run.workflowId;
      if (latest.has(date)) continue;
      const attributes = run.typedSearchAttributes;
      const generation = attributes.getAll().find((p) => p.key.name === 'MedallionGeneration')?.value;
      latest.set(date, {
        status: run.status.name,
        generation: typeof generation === 'number' ? generation : '-',
        ...(run.closeTime ? { closed: run.closeTime } : {}),
      });
    }
    for (const [date, run] of [...latest.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      say(
        `${date}  ${run.status.padEnd(11)} generation ${run.generation}${run.closed ? `  closed ${run.closed.toISOString()}` : ''}`,
      );
    }
    if (latest.size === 0) say(`no runs of ${options.pipeline} yet`);
  } finally {
    await cli.close();
  }
}

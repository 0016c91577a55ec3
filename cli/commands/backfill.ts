/**
 * `medallion backfill --from <date> --to <date> [--only missing|failed|all] [--max-concurrent n]
 * [--order oldest|newest] [--dry-run] [--detach]`: starts the backfill workflow (id
 * `<pipeline>/backfill/<from>..<to>`, or follows the one already running for that range) and shows a
 * progress bar from its `progress` query until it ends. The workflow checks every field; a bad one
 * comes back as its InvalidInput message.
 */
import {
  ApplicationFailure,
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type WorkflowHandle,
  WorkflowIdReusePolicy,
} from '@temporalio/client';
import { backfillRunId } from '../../core/activity-contracts';
import type { BackfillInput, BackfillOnly, BackfillOrder } from '../../core/backfill-contracts';
import { type BackfillProgress, progressLine } from '../../core/backfill-report';
import { searchAttributeKeys } from '../../core/search-attributes';
import { backfill, backfillProgressQuery } from '../../workflows/backfill';
import { connectCli } from '../connect';
import { watchProgress } from '../query-progress';

export interface BackfillOptions {
  pipeline: string;
  from: string;
  to: string;
  only?: string;
  maxConcurrent?: string;
  order?: string;
  dryRun?: boolean;
  detach?: boolean;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

export function backfillInputFrom(options: BackfillOptions): BackfillInput {
  let maxConcurrent: number | undefined;
  if (options.maxConcurrent !== undefined) {
    maxConcurrent = Number(options.maxConcurrent);
    if (!/^\d+$/.test(options.maxConcurrent)) {
      throw new Error(
        `--max-concurrent ${options.maxConcurrent} is not a whole number; e.g. --max-concurrent 4`,
      );
    }
  }
  return {
    pipeline: options.pipeline,
    from: options.from,
    to: options.to,
    ...(options.only !== undefined ? { only: options.only as BackfillOnly } : {}),
    ...(maxConcurrent !== undefined ? { maxConcurrent } : {}),
    ...(options.order !== undefined ? { order: options.order as BackfillOrder } : {}),
    ...(options.dryRun ? { dryRun: true } : {}),
  };
}

export async function startBackfill(
  client: Client,
  taskQueue: string,
  input: BackfillInput,
  say: (line: string) => void,
): Promise<WorkflowHandle<typeof backfill>> {
  const base = backfillRunId(input.pipeline, input.from, input.to);
  const workflowId = input.dryRun ? `${base}/dry-run` : base;
  try {
    return await client.workflow.start(backfill, {
      workflowId,
      taskQueue,
      args: [input],
      // The same range may be backfilled again later (it skips what is done); never twice at once.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      staticSummary: `backfill ${input.pipeline} ${input.from}..${input.to}${input.dryRun ? ' (dry run)' : ''}`,
      typedSearchAttributes: [{ key: searchAttributeKeys.pipeline, value: input.pipeline }],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    say(`${workflowId} is already running: following it (the options it was started with apply)`);
    return client.workflow.getHandle<typeof backfill>(workflowId);
  }
}

/**
 * Shows the progress bar until the backfill ends: redrawn in place on a terminal, one line per change
 * otherwise. Returns the final progress, or throws the failure with its explanation.
 */
export async function followBackfill(
  handle: WorkflowHandle<typeof backfill>,
  out: { write(text: string): void; isTTY?: boolean },
  pollMs = 1000,
): Promise<BackfillProgress> {
  let last = '';
  const result = handle.result();
  const show = (progress: BackfillProgress) => {
    const line =
      progress.counts.total === 0 ? `reading which dates ran (${progress.status})…` : progressLine(progress);
    if (line === last) return;
    last = line;
    out.write(out.isTTY ? `\r\u001b[2K${line}` : `${line}\n`);
  };
  await watchProgress(handle, backfillProgressQuery, result, {
    pollMs,
    show,
    warn: (line) => out.write(`${out.isTTY && last ? '\n' : ''}${line}\n`),
  });
  try {
    const progress = await result;
    show(progress);
    if (out.isTTY) out.write('\n');
    return progress;
  } catch (error) {
    if (out.isTTY && last) out.write('\n');
    const failure = error instanceof WorkflowFailedError ? error.cause : undefined;
    if (failure instanceof ApplicationFailure) {
      const progress = failure.details?.[0] as BackfillProgress | undefined;
      if (!progress?.counts) throw new Error(failure.message);
      show(progress);
      throw new BackfillFailedError(progress);
    }
    throw error;
  }
}

/** The backfill ended with failed dates: the CLI lists every date, then says what to do. */
export class BackfillFailedError extends Error {
  constructor(readonly progress: BackfillProgress) {
    super(
      `${progress.counts.failed} of ${progress.counts.total} dates failed (listed above). Fix the cause, then run ` +
        'the same backfill again: it picks up every date not done (--only missing, the default).',
    );
  }
}

/** One line per date: what the dry run would do and why, or how the date ended. */
function describeDates(progress: BackfillProgress): string[] {
  const dryRun = progress.status === 'dry-run';
  return progress.dates.map((d) => {
    const planned = d.status === 'skipped' ? 'skip' : d.rerun ? 'rerun' : 'run';
    const what = dryRun ? planned : d.status;
    const why = d.status === 'succeeded' ? (d.rerun ? 'rerun' : '') : (d.reason ?? '');
    const attached = d.attachedTo ? ` (waited for ${d.attachedTo})` : '';
    return `  ${d.date}  ${what.padEnd(10)} ${why}${attached}`.trimEnd();
  });
}

export async function backfillCommand(options: BackfillOptions): Promise<void> {
  const input = backfillInputFrom(options);
  const cli = await connectCli();
  try {
    const handle = await startBackfill(cli.client, cli.taskQueue, input, say);
    const link = cli.uiUrl
      ? ` — ${cli.uiUrl}/namespaces/${cli.namespace}/workflows/${encodeURIComponent(handle.workflowId)}`
      : '';
    say(`backfill ${handle.workflowId}${link}`);
    if (options.detach) {
      say(
        'detached: follow it in the UI, or pause/resume/cancel it with `temporal workflow signal --name pause|resume|cancel`',
      );
      return;
    }
    const progress = await followBackfill(handle, process.stdout).catch((error: unknown) => {
      if (error instanceof BackfillFailedError) for (const line of describeDates(error.progress)) say(line);
      throw error;
    });
    if (progress.status === 'dry-run') {
      say(
        `dry run: ${progress.counts.total - progress.counts.skipped} of ${progress.counts.total} dates would run`,
      );
    }
    for (const line of describeDates(progress)) say(line);
  } finally {
    await cli.close();
  }
}

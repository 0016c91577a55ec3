/**
 * The CLI's progress polls: a query is answered by a worker, so with no worker polling the task queue
 * it waits for the server's own timeout and the progress display freezes. Each poll gets a deadline
 * instead, and the caller learns that no worker answered, to say so.
 */
import { isGrpcDeadlineError, type WorkflowHandle } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';

const PROGRESS_QUERY_DEADLINE_MS = 3_000;

type ProgressPoll<T> = { answer: T } | { noWorker: true } | { unavailable: true };

async function pollProgress<T>(
  handle: WorkflowHandle,
  query: QueryDefinition<T>,
  deadlineMs = PROGRESS_QUERY_DEADLINE_MS,
): Promise<ProgressPoll<T>> {
  try {
    return { answer: await handle.client.withDeadline(Date.now() + deadlineMs, () => handle.query(query)) };
  } catch (error) {
    // Otherwise: not planned yet, between two runs of a continue-as-new chain, or just closed.
    return isGrpcDeadlineError(error) ? { noWorker: true } : { unavailable: true };
  }
}

function noWorkerHint(taskQueue: string | undefined, deadlineMs = PROGRESS_QUERY_DEADLINE_MS): string {
  const queue = taskQueue ? ` on task queue "${taskQueue}"` : '';
  return (
    `no worker answered the progress query in ${deadlineMs / 1000} s: is a medallion worker running${queue}? ` +
    '(the run waits for one; progress resumes when it is back)'
  );
}

/** The task queue a run waits on, for the no-worker hint; undefined if it cannot be read. */
async function taskQueueOf(handle: WorkflowHandle): Promise<string | undefined> {
  return handle.describe().then(
    (d) => d.taskQueue,
    () => undefined,
  );
}

export interface WatchOptions<T> {
  pollMs: number;
  show(answer: T): void;
  /** Said once per stretch of polls that no worker answered. */
  warn(line: string): void;
}

/** Polls a run's progress until `result` settles (it is the caller's to await for the outcome). */
export async function watchProgress<T>(
  handle: WorkflowHandle,
  query: QueryDefinition<T>,
  result: Promise<unknown>,
  options: WatchOptions<T>,
): Promise<void> {
  let finished = false;
  const settled = result.then(
    () => (finished = true),
    () => (finished = true),
  );
  let warned = false;
  while (!finished) {
    const poll = await pollProgress(handle, query);
    if ('answer' in poll) {
      options.show(poll.answer);
      warned = false;
    } else if ('noWorker' in poll && !warned && !finished) {
      warned = true;
      options.warn(noWorkerHint(await taskQueueOf(handle)));
    }
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, options.pollMs))]);
  }
}

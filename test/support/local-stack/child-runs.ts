/**
 * The child runs a workflow started, as Temporal's visibility lists them, and how many of them ran at
 * the same time. The parent's history says which runs it started; visibility (eventually consistent on
 * the dev server) is read until it lists every one of them closed.
 */
import type { Client, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import type { DailyRunReport } from '../../../core/run-report';

/** Workflow id and run id of every child the run's history shows started. */
export async function startedChildren(
  handle: WorkflowHandle,
): Promise<{ workflowId: string; runId: string }[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.flatMap((event) => {
    const started = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
    return started?.workflowId && started.runId
      ? [{ workflowId: started.workflowId, runId: started.runId }]
      : [];
  });
}

/**
 * Lists the runs matching `query` until every expected run id is among them and closed (visibility
 * lags the histories by a moment), or fails after `timeoutMs` naming the runs still missing.
 */
export async function listClosedRuns(
  client: Client,
  query: string,
  expectedRunIds: string[],
  timeoutMs = 30_000,
): Promise<WorkflowExecutionInfo[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs: WorkflowExecutionInfo[] = [];
    for await (const run of client.workflow.list({ query })) runs.push(run);
    const closed = new Set(runs.filter((run) => run.closeTime).map((run) => run.runId));
    const missing = expectedRunIds.filter((runId) => !closed.has(runId));
    if (missing.length === 0) return runs;
    if (Date.now() > deadline) {
      throw new Error(
        `visibility did not list ${missing.length} of ${expectedRunIds.length} runs as closed ` +
          `within ${timeoutMs} ms (query ${query}): ${missing.join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export interface RunInterval {
  label: string;
  startMs: number;
  closeMs: number;
}

/**
 * The most intervals [start, close) open at one instant. A run closing at the very millisecond another
 * starts does not overlap it (the parent starts the next child only after it saw one close).
 */
export function maxOverlap(intervals: RunInterval[]): { max: number; at?: number; running: string[] } {
  const edges = intervals.flatMap((interval) => [
    { at: interval.startMs, delta: 1, interval },
    { at: interval.closeMs, delta: -1, interval },
  ]);
  // Closes before starts at the same instant.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  const open = new Set<RunInterval>();
  let best: { max: number; at?: number; running: string[] } = { max: 0, running: [] };
  for (const edge of edges) {
    if (edge.delta > 0) open.add(edge.interval);
    else open.delete(edge.interval);
    if (open.size > best.max)
      best = { max: open.size, at: edge.at, running: [...open].map((interval) => interval.label) };
  }
  return best;
}

/**
 * The span of a date's data phase in its run's report: from its first stage's start after its CDC
 * windows to the end of its last stage that is not an SCD2 merge (windows run before the date has a
 * data slot; merges wait for the backfill's dimension lane, outside the cap).
 */
export function dataPhaseInterval(report: DailyRunReport): RunInterval {
  // The CDC windows take no data slot: they run before it, one date at a time.
  const stages = report.stages.filter(
    (s) => s.kind !== 'scd2' && s.kind !== 'dms' && s.startedAt && s.finishedAt,
  );
  if (stages.length === 0) throw new Error(`${report.logicalDate}: no stage of its data phase ran`);
  return {
    label: `${report.pipeline}/${report.logicalDate} data phase`,
    startMs: Math.min(...stages.map((s) => Date.parse(s.startedAt!))),
    closeMs: Math.max(...stages.map((s) => Date.parse(s.finishedAt!))),
  };
}

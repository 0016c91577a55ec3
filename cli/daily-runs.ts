/**
 * Starting and following daily runs from the client side: the same rules for the CLI, `npm start`
 * and the tests (workflow id `<pipeline>/<date>`, attach to a running one, refuse a finished one
 * unless it is a deliberate rerun).
 */
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '@temporalio/client';
import { dailyRunId } from '../core/activity-contracts';
import type { DailyRunReport, StageReport } from '../core/run-report';
import { searchAttributeKeys } from '../core/search-attributes';
import { dailyPipeline, progressQuery } from '../workflows';
import { watchProgress } from './query-progress';

export interface DailyRunRequest {
  pipeline: string;
  logicalDate: string;
  rerun?: boolean;
  stages?: string[];
  taskQueue: string;
}

export async function startDailyRun(
  client: Client,
  request: DailyRunRequest,
): Promise<WorkflowHandle<typeof dailyPipeline>> {
  const workflowId = dailyRunId(request.pipeline, request.logicalDate);
  try {
    return await client.workflow.start(dailyPipeline, {
      workflowId,
      taskQueue: request.taskQueue,
      args: [
        {
          pipeline: request.pipeline,
          logicalDate: request.logicalDate,
          ...(request.rerun ? { rerun: true } : {}),
          ...(request.stages?.length ? { stages: request.stages } : {}),
        },
      ],
      // A run of this date in progress: follow it instead of starting another.
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: request.rerun
        ? WorkflowIdReusePolicy.ALLOW_DUPLICATE
        : WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: `${request.pipeline} ${request.logicalDate}${request.rerun ? ' (rerun)' : ''}`,
      typedSearchAttributes: [
        { key: searchAttributeKeys.pipeline, value: request.pipeline },
        { key: searchAttributeKeys.logicalDate, value: request.logicalDate },
        { key: searchAttributeKeys.status, value: 'planning' },
      ],
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new Error(
        `${workflowId} already ran. To run it again (finished stages are skipped, nothing loads twice) pass --rerun.`,
      );
    }
    throw error;
  }
}

const MARK: Record<string, string> = {
  running: '▶',
  succeeded: '✓',
  skipped: '↷',
  failed: '✗',
  blocked: '⊘',
  cancelled: '■',
};

function describeStage(stage: StageReport): string {
  const seconds = stage.durationMs !== undefined ? ` in ${(stage.durationMs / 1000).toFixed(1)} s` : '';
  const rows =
    stage.rowsOut !== undefined
      ? `, rows ${stage.rowsIn ?? '-'} → ${stage.rowsOut}${stage.quarantined ? ` (${stage.quarantined} quarantined)` : ''}`
      : '';
  const attached = stage.attached ? ', attached to the run already started' : '';
  const error = stage.error ? `: ${stage.error}` : '';
  return `  ${MARK[stage.status] ?? '·'} ${stage.id.padEnd(24)} ${stage.status}${seconds}${rows}${attached}${error}`;
}

/** Prints each stage transition until the run ends; returns its final report or throws its failure. */
export async function followRun(
  handle: WorkflowHandle<typeof dailyPipeline>,
  say: (line: string) => void,
  pollMs = 500,
): Promise<DailyRunReport> {
  const seen = new Map<string, string>();
  const result = handle.result();
  const show = (report: DailyRunReport) => {
    for (const stage of report.stages) {
      if (
        stage.status === 'pending' ||
        stage.status === 'waiting' ||
        stage.status === 'not-selected' ||
        seen.get(stage.id) === stage.status
      )
        continue;
      seen.set(stage.id, stage.status);
      say(describeStage(stage));
    }
  };
  await watchProgress(handle, progressQuery, result, { pollMs, show, warn: say });
  const report = await result;
  show(report);
  return report;
}

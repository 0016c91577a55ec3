import type { JobMetrics, StageResult, StageRunIdentity } from '../core/stage-io';
import type { RunOutcome } from './poll-run';

/** The StageResult of a finished run; `details.statusCalls` counts the status calls it cost. */
export function stageResult(
  identity: StageRunIdentity,
  outcome: RunOutcome<unknown>,
  extra: { metrics?: Partial<JobMetrics>; details?: Record<string, string | number> } = {},
): StageResult {
  return {
    stageId: identity.stageId,
    awsRunId: outcome.runId,
    awsState: outcome.state,
    attached: outcome.attached,
    startedAt: outcome.startedAt,
    finishedAt: outcome.finishedAt,
    durationMs: outcome.durationMs,
    ...extra.metrics,
    ...(outcome.consoleUrl ? { consoleUrl: outcome.consoleUrl } : {}),
    details: { statusCalls: outcome.statusCalls, ...extra.details },
  };
}

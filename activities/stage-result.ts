import type { CheckOutcome } from '../core/check-outcome';
import type { JobMetrics, StageResult, StageRunIdentity } from '../core/stage-io';
import type { RunOutcome } from './poll-run';

/** The StageResult of a finished run; `details.statusCalls` counts the status calls it cost. */
export function stageResult(
  identity: StageRunIdentity,
  outcome: RunOutcome<unknown>,
  extra: {
    metrics?: Partial<Omit<JobMetrics, 'checks'>>;
    details?: Record<string, string | number>;
    checks?: CheckOutcome[];
  } = {},
): StageResult {
  const { rowsIn, rowsOut, quarantined } = extra.metrics ?? {};
  return {
    stageId: identity.stageId,
    awsRunId: outcome.runId,
    awsState: outcome.state,
    attached: outcome.attached,
    startedAt: outcome.startedAt,
    finishedAt: outcome.finishedAt,
    durationMs: outcome.durationMs,
    ...(rowsIn !== undefined ? { rowsIn } : {}),
    ...(rowsOut !== undefined ? { rowsOut } : {}),
    ...(quarantined !== undefined ? { quarantined } : {}),
    ...(outcome.consoleUrl ? { consoleUrl: outcome.consoleUrl } : {}),
    details: { statusCalls: outcome.statusCalls, ...extra.details },
    ...(extra.checks && extra.checks.length > 0 ? { checks: extra.checks } : {}),
  };
}

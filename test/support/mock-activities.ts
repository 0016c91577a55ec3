import type { PipelineActivities } from '../../core/activity-contracts';
import type { SettleAlertsRequest, SettleAlertsResult } from '../../core/alerts';
import type { Plan } from '../../core/plan';
import type { GlueStageInput, StageResult } from '../../core/stage-io';

export function succeeded(stageId: string, extra: Partial<StageResult> = {}): StageResult {
  return {
    stageId,
    awsRunId: `jr_${stageId}`,
    awsState: 'SUCCEEDED',
    attached: false,
    startedAt: '2026-01-16T02:00:00.000Z',
    finishedAt: '2026-01-16T02:10:00.000Z',
    durationMs: 600_000,
    rowsIn: 10,
    rowsOut: 9,
    quarantined: 1,
    ...extra,
  };
}

/** An alert activity that sends nothing, for runs whose alerts a test does not look at. */
export const noAlerts: Pick<PipelineActivities, 'settleAlerts'> = {
  settleAlerts: (): Promise<SettleAlertsResult> =>
    Promise.resolve({ alerted: [], recovered: [], alreadyOpen: [] }),
};

/** Activities where only the Glue stage behaviour varies per test; records every call. */
export function mockActivities(
  plan: Plan,
  runGlueStage: (input: GlueStageInput) => Promise<StageResult>,
): PipelineActivities & {
  calls: { planRequests: unknown[]; recorded: string[]; alerts: SettleAlertsRequest[] };
} {
  const calls = {
    planRequests: [] as unknown[],
    recorded: [] as string[],
    alerts: [] as SettleAlertsRequest[],
  };
  const unexpected = () => Promise.reject(new Error('not used in this test'));
  return {
    calls,
    planDailyRun: (request) => {
      calls.planRequests.push(request);
      return Promise.resolve(plan);
    },
    recordStageDone: (request) => {
      calls.recorded.push(request.result.stageId);
      return Promise.resolve();
    },
    runGlueStage,
    runDmsStage: unexpected,
    runAppFlowStage: unexpected,
    runEmrServerlessStage: unexpected,
    runRedshiftStage: unexpected,
    settleAlerts: (request) => {
      calls.alerts.push(request);
      return noAlerts.settleAlerts(request);
    },
    recordCheckOutcomes: unexpected,
  };
}

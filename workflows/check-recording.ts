/**
 * After the stage DAG: the run records the check outcomes of the stages it evaluated in the warehouse
 * (activities/check-results.ts), where `medallion checks` and later dates' trailing bounds read them.
 * A recording failure is logged, never the run's failure: the outcomes are in the run's report too.
 */
import { log, proxyActivities } from '@temporalio/workflow';
import type { PipelineActivities } from '../core/activity-contracts';
import type { Plan } from '../core/plan';
import type { DailyRunReport } from '../core/run-report';

const { recordCheckOutcomes } = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '5s', maximumInterval: '1 minute' },
  summary: 'record the data-quality check outcomes in the warehouse',
});

export async function recordChecks(plan: Plan, report: DailyRunReport): Promise<void> {
  if (!plan.checkRecording) return;
  const evaluated = report.stages.filter(
    (s) => (s.status === 'succeeded' || s.status === 'failed') && s.checks && s.checks.length > 0,
  );
  if (evaluated.length === 0) return;
  try {
    await recordCheckOutcomes({
      recording: plan.checkRecording,
      pipeline: plan.pipeline,
      logicalDate: plan.logicalDate,
      stageIds: evaluated.map((s) => s.id),
      outcomes: evaluated.flatMap((s) => s.checks ?? []),
    });
  } catch (error) {
    log.warn('the check outcomes could not be recorded in the warehouse; the run report keeps them', {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

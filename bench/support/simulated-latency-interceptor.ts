/**
 * Workflow interceptor of bench/simulated-year.ts: before a stage activity is scheduled the workflow
 * waits, on a durable timer, for as long as that stage's AWS run takes (simulated-aws-times.ts); the
 * activity then succeeds at once. On the time-skipping test server the timers cost no wall time, and
 * the stage's place in the DAG, the caps and the lanes are the production workflows' own.
 */
import {
  type ActivityInput,
  type Next,
  sleep,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { STAGE_ACTIVITY_NAMES } from '../../activities/stage-done-markers';
import type { StageInput } from '../../core/stage-io';
import { simulatedRunOf } from './simulated-aws-times';

const stageActivities = new Set<string>(STAGE_ACTIVITY_NAMES);

class SimulatedAwsLatency implements WorkflowOutboundCallsInterceptor {
  async scheduleActivity(
    input: ActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
  ): Promise<unknown> {
    if (stageActivities.has(input.activityType)) {
      await sleep(simulatedRunOf(input.args[0] as StageInput).ms);
    }
    return next(input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [new SimulatedAwsLatency()],
});

/**
 * FIXED DETERMINISM BUG, kept as a regression test (found by replaying runs of the local stack: about one
 * failed shop day in eight did not replay; a reset of such a run, or a worker restart in the middle
 * of it, hits a nondeterminism error and the run is stuck).
 *
 * When two stages finish in the same workflow task, each awaits its `recordStageDone` LOCAL activity
 * before the DAG walk moves on. On the first execution the two local activities complete in separate
 * activations, so the walk launches the first one's dependents, then the other's. On replay both
 * markers resolve in one activation, so the walk sees both stages done at once and launches the
 * dependents in plan order: a different command order, and a DeterminismViolationError when the
 * dependents are different activity types.
 *
 * Fix: a stage's completion is a history event the walk waits for, replayed in the order it
 * happened: the stage activity writes its own done marker (activities/stage-done-markers.ts), with no
 * local activity after it. This test checks that dependents launch in the order their stages
 * finished, and replay so.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PipelineActivities } from '../../core/activity-contracts';
import type { Plan, PlannedStage } from '../../core/plan';
import type { StageResult } from '../../core/stage-io';
import { dailyPipeline } from '../../workflows';
import { succeeded } from '../support/mock-activities';
import { glueOnlyPlan } from '../support/plans';
import { devServerEnv } from '../../local/temporal-servers';
import { productionWorkflowBundle } from '../../local/workflow-bundle-cache';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await devServerEnv();
});

afterAll(async () => {
  await env?.teardown();
});

/**
 * busy, a and b (glue) run side by side; b finishes before a, a before busy. fromA (EMR) needs a,
 * fromB (Redshift) needs b; plan order lists fromA first.
 */
function twoBranchPlan(): Plan {
  const plan = glueOnlyPlan(
    [
      { id: 'busy' },
      { id: 'a' },
      { id: 'b' },
      { id: 'fromA', dependsOn: ['a'] },
      { id: 'fromB', dependsOn: ['b'] },
    ],
    { maxConcurrent: 8 },
  );
  const as = (stage: PlannedStage, kind: 'emr-serverless' | 'redshift'): PlannedStage =>
    ({
      ...stage,
      kind: kind === 'redshift' ? 'load' : kind,
      activity: kind === 'redshift' ? 'runRedshiftStage' : 'runEmrServerlessStage',
      input: { ...stage.input, kind },
    }) as PlannedStage;
  plan.stages[3] = as(plan.stages[3]!, 'emr-serverless');
  plan.stages[4] = as(plan.stages[4]!, 'redshift');
  return plan;
}

function activities(plan: Plan): PipelineActivities {
  const done = (id: string): Promise<StageResult> => Promise.resolve(succeeded(id));
  const stageMs: Record<string, number> = { busy: 1000, a: 500, b: 200 };
  return {
    planDailyRun: () => Promise.resolve(plan),
    recordStageDone: () => Promise.reject(new Error('stage activities record their own markers now')),
    recordCheckOutcomes: () => Promise.reject(new Error('no stage of this plan declares checks')),
    runGlueStage: async (input) => {
      await delay(stageMs[input.identity.stageId] ?? 0);
      return succeeded(input.identity.stageId);
    },
    runEmrServerlessStage: (input) => done(input.identity.stageId),
    runRedshiftStage: (input) => done(input.identity.stageId),
    runDmsStage: () => Promise.reject(new Error('not in this plan')),
    runAppFlowStage: () => Promise.reject(new Error('not in this plan')),
    settleAlerts: () => Promise.resolve({ alerted: [], recovered: [], alreadyOpen: [] }),
  };
}

it('a day where two stages finished in one workflow task replays (stage-done markers are activities)', async () => {
  const plan = twoBranchPlan();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'stage-done-ordering',
    workflowBundle: await productionWorkflowBundle(),
    activities: activities(plan),
  });
  const handle = await env.client.workflow.start(dailyPipeline, {
    args: [{ pipeline: 'test', logicalDate: '2026-01-15' }],
    taskQueue: 'stage-done-ordering',
    workflowId: 'stage-done-ordering',
  });
  const report = await worker.runUntil(handle.result());
  expect(report.status).toBe('succeeded');

  const history = await handle.fetchHistory();
  const scheduled = history
    .events!.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((name): name is string => name === 'runEmrServerlessStage' || name === 'runRedshiftStage');
  // b finished first, so fromB (Redshift) was launched before fromA (EMR).
  expect(scheduled).toEqual(['runRedshiftStage', 'runEmrServerlessStage']);

  const replay = await Worker.runReplayHistory(
    { workflowBundle: await productionWorkflowBundle() },
    history,
    handle.workflowId,
  ).then(
    () => undefined,
    (error: unknown) => error,
  );
  // Before the record-stage-done-as-activity patch, replay of such a run launched them in plan order
  // and failed with a DeterminismViolationError.
  expect(replay).toBeUndefined();
});

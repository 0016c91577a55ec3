import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gate } from '../../activities/quality-gate';
import type { RecordCheckOutcomesRequest } from '../../core/activity-contracts';
import { evaluateChecks } from '../../core/check-evaluation';
import type { Plan } from '../../core/plan';
import { qualityCheckSchema } from '../../core/quality-checks';
import type { DailyRunReport } from '../../core/run-report';
import type { GlueStageInput, StageResult } from '../../core/stage-io';
import { timeSkippingEnv } from '../../local/temporal-servers';
import { productionWorkflowBundle } from '../../local/workflow-bundle-cache';
import { dailyPipeline } from '../../workflows';
import { mockActivities, succeeded } from '../support/mock-activities';
import { glueOnlyPlan } from '../support/plans';

/**
 * Gate outcomes in the daily run (time-skipping server, mocked jobs judged by the real gate): a
 * blocking check fails its stage at once (no retry, no job retry), blocks its dependents (the load
 * never runs) and lets the rest of the day go on; a tripped warning is recorded and nothing stops.
 */
let env: TestWorkflowEnvironment;
let counter = 0;

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const ordersCheck = qualityCheckSchema.parse({
  name: 'orders_vs_7_day_median',
  kind: 'rowCount',
  trailing: { days: 7, minRatio: 0.5 },
});

function plan(severity: 'block' | 'warn'): Plan {
  const p = glueOnlyPlan([
    { id: 'silver' },
    { id: 'gold', dependsOn: ['silver'] },
    { id: 'load', dependsOn: ['gold'] },
    { id: 'other' },
  ]);
  const gold = p.stages.find((s) => s.id === 'gold')!.input as GlueStageInput;
  gold.checks = { declared: [{ ...ordersCheck, severity }], trailingMetricsUris: [] };
  p.checkRecording = {
    target: { database: 'shop', workgroupName: 'medallion' },
    dialect: 'redshift',
    copyRoleArn: 'arn:aws:iam::123456789012:role/copy',
    schema: 'analytics',
  };
  return p;
}

/** Gold wrote 12 rows where the trailing median is 100: the check trips. */
async function run(severity: 'block' | 'warn') {
  const calls: string[] = [];
  const recorded: RecordCheckOutcomesRequest[] = [];
  const activities = {
    ...mockActivities(plan(severity), (input: GlueStageInput): Promise<StageResult> => {
      calls.push(input.identity.stageId);
      if (input.checks) {
        const outcomes = evaluateChecks(input.identity.stageId, input.checks.declared, {
          measured: {},
          rowCount: 12,
          trailingCounts: [100, 96, 104],
        });
        return Promise.resolve(
          succeeded(input.identity.stageId, { checks: gate(input.identity.stageId, outcomes) }),
        );
      }
      return Promise.resolve(succeeded(input.identity.stageId));
    }),
    recordCheckOutcomes: (request: RecordCheckOutcomesRequest) => {
      recorded.push(request);
      return Promise.resolve();
    },
  };
  const taskQueue = `gates-${++counter}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await productionWorkflowBundle(),
    activities,
  });
  const outcome = await worker.runUntil(
    env.client.workflow
      .execute(dailyPipeline, {
        args: [{ pipeline: 'test', logicalDate: '2026-01-15' }],
        taskQueue,
        workflowId: `gates-${counter}`,
      })
      .then(
        (report) => ({ report, error: undefined }),
        (error: unknown) => ({ report: undefined, error }),
      ),
  );
  return { ...outcome, calls, recorded };
}

describe('quality gates in the daily run', () => {
  it('a blocking failure fails the stage once, blocks the load, and the rest of the day runs', async () => {
    const { error, calls, recorded } = await run('block');
    expect(error).toBeInstanceOf(WorkflowFailedError);
    // The run's failure carries its report (workflows/daily-run-view.ts finish()).
    const failure = (error as WorkflowFailedError).cause as { details?: unknown[] } | undefined;
    const stages = (failure?.details?.[0] as DailyRunReport).stages;
    const byId = Object.fromEntries(stages.map((s) => [s.id, s]));
    expect(byId.gold!.status).toBe('failed');
    expect(byId.gold!.error).toContain('DataQualityFailed');
    expect(byId.gold!.error).toContain('orders_vs_7_day_median');
    expect(byId.gold!.error).toContain('measured 12');
    expect(byId.gold!.error).toContain('>= 50');
    expect(byId.gold!.checks).toEqual([
      expect.objectContaining({
        check: 'orders_vs_7_day_median',
        passed: false,
        severity: 'block',
        measured: 12,
      }),
    ]);
    expect(byId.load!.status).toBe('blocked');
    expect(byId.other!.status).toBe('succeeded');
    // Not retried: one call of gold, none of load.
    expect(calls.filter((id) => id === 'gold')).toHaveLength(1);
    expect(calls).not.toContain('load');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.stageIds).toEqual(['gold']);
    expect(recorded[0]!.outcomes[0]).toMatchObject({ check: 'orders_vs_7_day_median', passed: false });
  });

  it('a tripped warning is recorded and nothing stops', async () => {
    const { report, error, calls, recorded } = await run('warn');
    expect(error).toBeUndefined();
    expect(report!.status).toBe('succeeded');
    const gold = report!.stages.find((s) => s.id === 'gold')!;
    expect(gold.checks).toEqual([expect.objectContaining({ passed: false, severity: 'warn', measured: 12 })]);
    expect(calls).toContain('load');
    expect(recorded[0]!.outcomes[0]).toMatchObject({ severity: 'warn', passed: false });
  });
});

import { describe, expect, it } from 'vitest';
import { createPlanActivities } from '../../activities/plan-daily-run';
import { warehouseSql } from '../../core/warehouse-statements';
import { loadPipelines } from '../../pipelines/registry';
import { MemoryRunState } from '../support/memory-run-state';
import { awsTestEnvironment } from '../support/aws-test-environment';

const shop = loadPipelines().shop!;
const DATE = '2026-03-10';

function planning() {
  const store = new MemoryRunState();
  store.seed('shop', DATE, ['ingest_oltp', 'ingest_crm', 'silver_customers']);
  const activities = createPlanActivities({
    env: awsTestEnvironment,
    pipelines: { shop },
    sql: warehouseSql,
    runState: store,
  });
  const request = {
    pipeline: 'shop',
    logicalDate: DATE,
    rerun: true,
    runChainId: 'rerun-chain',
    nowUtc: '2026-11-23T00:00:00Z',
  };
  return { store, activities, request };
}

describe('planDailyRun', () => {
  it('skips the stages an earlier generation finished, read from their markers', async () => {
    const { store, activities, request } = planning();
    const plan = await activities.planDailyRun(request);
    expect(plan.generation).toBe(1);
    expect(plan.stages.filter((s) => s.doneEarlier).map((s) => s.id)).toEqual([
      'ingest_oltp',
      'ingest_crm',
      'silver_customers',
    ]);
    expect(store.reads).toBe(2);
  });

  it('runs stages asked for by name without reading the markers of the date', async () => {
    const { store, activities, request } = planning();
    const plan = await activities.planDailyRun({
      ...request,
      only: ['silver_customers', 'scd2_dim_customer'],
    });
    const runnable = plan.stages.filter((s) => !s.notSelected);
    expect(runnable.map((s) => s.id)).toEqual(['silver_customers', 'scd2_dim_customer']);
    expect(runnable.every((s) => s.doneEarlier === undefined)).toBe(true);
    // the generations only: a backfill's merge runs plan without listing every marker of the date
    expect(store.reads).toBe(1);
  });

  it('stamps every stage identity with the time its generation was planned, the same on a re-plan', async () => {
    const { activities, request } = planning();
    const first = await activities.planDailyRun(request);
    const plannedAt = first.stages[0]!.input.identity.plannedAt;
    expect(plannedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(first.stages.every((s) => s.input.identity.plannedAt === plannedAt)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await activities.planDailyRun(request);
    expect(again.stages.map((s) => s.input.identity.plannedAt)).toEqual(first.stages.map(() => plannedAt));
  });
});

import { describe, expect, it } from 'vitest';
import { createDimensionMergeActivities } from '../../activities/plan-dimension-merge';
import {
  type DimensionMergeMember,
  MAX_DIMENSION_MERGE_MEMBERS,
  dailyRunId,
} from '../../core/activity-contracts';
import { dateRange } from '../../core/dates';
import { buildPlan } from '../../core/plan';
import { createDimensionTablesSql, redshiftDialect } from '../../core/sql';
import type { RedshiftStageInput } from '../../core/stage-io';
import { warehouseSql } from '../../core/warehouse-statements';
import type { DimensionSpecInput } from '../../core/warehouse-spec';
import { loadPipelines } from '../../pipelines/registry';
import { awsTestEnvironment } from '../support/aws-test-environment';

const shop = loadPipelines().shop!;
const STAGE = 'scd2_dim_customer';
const activities = createDimensionMergeActivities({
  env: awsTestEnvironment,
  pipelines: { shop },
  sql: warehouseSql,
});

/** The scd2 stage input each date's own daily plan has (generation 2 for the second date: a rerun). */
function dailyInput(date: string, generation = 0): RedshiftStageInput {
  const plan = buildPlan({
    spec: shop,
    env: awsTestEnvironment,
    sql: warehouseSql,
    logicalDate: date,
    workflowId: dailyRunId('shop', date),
    generation,
  });
  return plan.stages.find((stage) => stage.id === STAGE)!.input as RedshiftStageInput;
}

function members(from: string, to: string): DimensionMergeMember[] {
  return dateRange(from, to).map((date, index) => ({
    logicalDate: date,
    identity: dailyInput(date, index === 1 ? 2 : 0).identity,
  }));
}

const request = (list: DimensionMergeMember[]) => ({ pipeline: 'shop', stageId: STAGE, members: list });

describe('planDimensionMerge', () => {
  it('plans one date exactly as its daily plan does, under a run key of the batch', async () => {
    const daily = dailyInput('2026-03-10');
    const planned = await activities.planDimensionMerge(request(members('2026-03-10', '2026-03-10')));
    expect(planned.sqls).toEqual(daily.sqls);
    expect(planned.copies).toEqual(daily.copies);
    expect(planned.identity.runKey).not.toBe(daily.identity.runKey);
    expect(planned.members).toEqual([{ logicalDate: '2026-03-10', generation: 0 }]);
  });

  it('merges several dates in one transaction, each from its own files under its own batch id', async () => {
    const list = members('2026-03-10', '2026-03-12');
    const planned = await activities.planDimensionMerge(request(list));
    expect(planned.copies!.map((copy) => copy.sourceUri)).toEqual(
      dateRange('2026-03-10', '2026-03-12').map((date) => `s3://lake/silver/customers/dt=${date}/`),
    );
    expect(planned.copies!.map((copy) => copy.manifestUri)).toEqual(
      list.map(
        (member) =>
          `s3://lake/_medallion/copy-manifests/shop/${member.logicalDate}/${STAGE}/${member.identity.runKey}.manifest`,
      ),
    );
    const sql = planned.sqls.join('\n');
    for (const member of list) expect(sql).toContain(`'${member.identity.runKey}'`);
    expect(planned.sqls.filter((statement) => statement.startsWith('COPY '))).toHaveLength(3);
    expect(planned.members).toEqual([
      { logicalDate: '2026-03-10', generation: 0 },
      { logicalDate: '2026-03-11', generation: 2 },
      { logicalDate: '2026-03-12', generation: 0 },
    ]);
    // Committed means every member's ledger row is there.
    expect(planned.ledgerLookup).toContain('WHERE found."n" = 3');
    // Same members, same key (a retried plan attaches); other members, another key.
    const again = await activities.planDimensionMerge(request(members('2026-03-10', '2026-03-12')));
    expect(again.identity.runKey).toBe(planned.identity.runKey);
    const other = await activities.planDimensionMerge(request(members('2026-03-10', '2026-03-11')));
    expect(other.identity.runKey).not.toBe(planned.identity.runKey);
    expect(planned.identity.runKey.length).toBeLessThanOrEqual(64);
  });

  it(`fits ${MAX_DIMENSION_MERGE_MEMBERS} dates of the largest merge in one BatchExecuteStatement (40 statements)`, async () => {
    const planned = await activities.planDimensionMerge(request(members('2026-03-01', '2026-03-10')));
    expect(planned.sqls.length).toBeLessThanOrEqual(40);
    // The most statements any dimension needs: type-1 columns and the quarantine policy.
    const largest: DimensionSpecInput = {
      table: 't',
      schema: 's',
      businessKey: ['k'],
      columns: [
        { name: 'k', type: 'bigint' },
        { name: 'a', type: 'varchar' },
        { name: 'b', type: 'varchar' },
      ],
      tracked: ['a'],
      orderBy: 'changed_at',
      deletePolicy: 'tombstone',
      lateArriving: 'quarantine',
    };
    const batches = dateRange('2026-03-01', '2026-03-10').map((date) => ({
      logicalDate: date,
      batchId: `b-${date}`,
      sourceUri: `s3://lake/silver/t/dt=${date}/`,
      manifestUri: `s3://lake/m/${date}.manifest`,
      dialect: 'redshift' as const,
      copyRoleArn: 'arn:aws:iam::123456789012:role/copy',
    }));
    expect(batches).toHaveLength(MAX_DIMENSION_MERGE_MEMBERS);
    const statements = warehouseSql.scd2Statements(largest as never, batches);
    expect(createDimensionTablesSql(largest, redshiftDialect({ iamRole: 'default' }))).toHaveLength(6);
    expect(statements.length).toBeLessThanOrEqual(40);
  });

  it.each([
    [{ pipeline: 'nope' }, /invalid input field "pipeline": unknown pipeline "nope"; known: shop/],
    [
      { stageId: 'nope' },
      /field "stageId": unknown stage "nope"; the scd2 stages of shop are scd2_dim_customer, scd2_dim_product/,
    ],
    [
      { stageId: 'load_fact_orders' },
      /field "stageId": "load_fact_orders" is a load stage; catch-up merges take an scd2 stage/,
    ],
    [{ members: [] }, /field "members": is empty; pass the dates to merge/],
  ])('refuses %j', async (change, message) => {
    await expect(
      activities.planDimensionMerge({ ...request(members('2026-03-10', '2026-03-11')), ...change }),
    ).rejects.toThrow(message);
  });

  it('refuses members that are not consecutive dates in order, or carry another stage or date', async () => {
    const [a, b, c] = members('2026-03-10', '2026-03-12') as [
      DimensionMergeMember,
      DimensionMergeMember,
      DimensionMergeMember,
    ];
    await expect(activities.planDimensionMerge(request([a, c]))).rejects.toThrow(
      /field "members\[1\]\.logicalDate": 2026-03-12 does not follow 2026-03-10 by one day; members are consecutive dates, oldest first/,
    );
    await expect(activities.planDimensionMerge(request([b, a]))).rejects.toThrow(/members\[1\]\.logicalDate/);
    await expect(
      activities.planDimensionMerge(
        request([a, { ...b, identity: { ...b.identity, stageId: 'scd2_dim_product' } }]),
      ),
    ).rejects.toThrow(
      /field "members\[1\]\.identity\.stageId": is "scd2_dim_product" but the member is stageId scd2_dim_customer/,
    );
    await expect(activities.planDimensionMerge(request([a, { ...b, identity: a.identity }]))).rejects.toThrow(
      /field "members\[1\]\.identity\.logicalDate"/,
    );
    await expect(activities.planDimensionMerge(request(members('2026-03-01', '2026-03-11')))).rejects.toThrow(
      /field "members": has 11 dates; one merge takes at most 10/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { awsTestEnvironment } from '../support/aws-test-environment';
import { GLUE_MANIFEST_ARGUMENT, type JobManifest } from '../../core/job-manifest';
import { buildPlan } from '../../core/plan';
import { stageRunKey } from '../../core/run-key';
import type { GlueStageInput, RedshiftStageInput, StageResult } from '../../core/stage-io';
import { warehouseSql } from '../../core/warehouse-statements';
import { loadPipelines } from '../../pipelines/registry';

const shop = loadPipelines().shop!;
const env = awsTestEnvironment;

const plan = (over: Partial<Parameters<typeof buildPlan>[0]> = {}) =>
  buildPlan({
    spec: shop,
    env,
    sql: warehouseSql,
    logicalDate: '2026-03-29',
    workflowId: 'shop/2026-03-29',
    generation: 0,
    ...over,
  });

describe('buildPlan', () => {
  it('resolves every stage of shop with its dependencies, window and run key', () => {
    const p = plan();
    expect(p.stages.map((s) => s.id)).toEqual(shop.stages.map((s) => s.id));
    // The DST day in Berlin: 23 hours.
    expect([p.windowStartUtc, p.windowEndUtc]).toEqual([
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
    ]);
    const dms = p.stages.find((s) => s.id === 'ingest_oltp')!;
    expect(dms.input).toMatchObject({
      kind: 'dms',
      windowStartUtc: '2026-03-28T23:00:00.000Z',
      windowEndUtc: '2026-03-29T22:00:00.000Z',
      replicationTaskArn: env.dms.tasks.shop_cdc,
    });
    expect(dms.input.identity.runKey).toBe(stageRunKey('shop/2026-03-29', 'ingest_oltp', 0));
  });

  it('writes each Glue job a manifest with the day’s partitions and bound placeholders', () => {
    const glue = plan().stages.find((s) => s.id === 'silver_customers')!.input as GlueStageInput;
    const manifest = JSON.parse(glue.arguments[GLUE_MANIFEST_ARGUMENT]!) as JobManifest;
    expect(glue.crawlerName).toBe('silver-crawler');
    expect(manifest.inputs[0]!.uri).toBe('s3://lake/bronze/cdc/shop/customers/2026/03/29/');
    expect(manifest.outputUri).toBe('s3://lake/silver/customers/dt=2026-03-29/');
    const gold = plan().stages.find((s) => s.id === 'fact_orders')!.input;
    expect(JSON.stringify(gold)).toContain('2026-03-28 23:00:00');
    expect(JSON.stringify(gold)).not.toContain('${day_start_utc}');
  });

  it('gives warehouse stages one transaction of DDL and merge in the Redshift dialect', () => {
    const scd2 = plan().stages.find((s) => s.id === 'scd2_dim_customer')!.input as RedshiftStageInput;
    const sql = scd2.sqls.join(';\n');
    expect(sql).toMatch(/CREATE TABLE IF NOT EXISTS/);
    // COPY reads the manifest the activity writes, not the prefix (Spark's _SUCCESS lives there).
    const manifestUri = `s3://lake/_medallion/copy-manifests/shop/2026-03-29/scd2_dim_customer/${scd2.identity.runKey}.manifest`;
    expect(sql).toContain(
      `COPY "_md_stg1_dim_customer" FROM '${manifestUri}' IAM_ROLE 'arn:aws:iam::123456789012:role/copy' FORMAT AS PARQUET MANIFEST`,
    );
    expect(scd2.copies).toMatchObject([
      { sourceUri: 's3://lake/silver/customers/dt=2026-03-29/', manifestUri },
    ]);
    expect(scd2.copies![0]!.columns.map((c) => c.name).slice(-2)).toEqual(['_op', '_commit_ts']);
    expect(scd2.ledgerLookup).toContain('"medallion_load_ledger"');
    expect(scd2.target).toEqual({ database: 'analytics', workgroupName: 'wg' });
  });

  it('marks stages an earlier generation finished, and those outside a requested subset', () => {
    const done: StageResult = {
      stageId: 'ingest_oltp',
      awsRunId: 'task',
      awsState: 'stopped',
      attached: false,
      startedAt: 'x',
      finishedAt: 'y',
      durationMs: 1,
    };
    expect(plan({ generation: 1, done: { ingest_oltp: done } }).stages[0]!.doneEarlier).toEqual(done);
    const p = plan({
      generation: 1,
      done: { ingest_oltp: done, silver_orders: { ...done, stageId: 'silver_orders' } },
      only: ['silver_orders', 'fact_orders'],
    });
    // Asked for by name: runs again although an earlier generation finished it.
    expect(p.stages.find((s) => s.id === 'silver_orders')!.doneEarlier).toBeUndefined();
    expect(p.stages.find((s) => s.id === 'fact_orders')!.dependsOn).toEqual(['silver_orders']);
    expect(p.stages.filter((s) => !s.notSelected).map((s) => s.id)).toEqual(['silver_orders', 'fact_orders']);
    expect(p.stages.find((s) => s.id === 'silver_orders')!.input.identity.runKey).toBe(
      stageRunKey('shop/2026-03-29', 'silver_orders', 1),
    );
  });

  it('says which environment entry is missing', () => {
    expect(() => plan({ env: { ...env, dms: { tasks: {} } } })).toThrow(
      'environment dms.tasks.shop_cdc is not set',
    );
  });
});

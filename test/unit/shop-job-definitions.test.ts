import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_COLUMNS,
  DMS_HEADER_COLUMNS,
  ORDER_STATUSES as SIMULATED_STATUSES,
  SHOP_TABLES,
} from '../../emulator/sources/shop-schema';
import { jobDefinitionSchema } from '../../core/pipeline-spec';
import { shopJobStages } from '../../pipelines/shop/jobs';
import { shopJobManifest } from '../support/lake/shop-manifest';
import { ORDER_STATUSES } from '../../pipelines/shop/jobs/silver-orders';
import { ACCOUNTS_COLUMNS, BRONZE_COLUMNS } from '../../pipelines/shop/jobs/source-columns';

/** The simulator's column type as the pipeline's Spark-SQL / DuckDB common type. */
const COMMON_TYPE = { BIGINT: 'BIGINT', INTEGER: 'INT', VARCHAR: 'STRING', TIMESTAMP: 'TIMESTAMP' } as const;

describe('shop job definitions', () => {
  it('are valid core job definitions, Glue for silver and EMR Serverless for gold', () => {
    for (const stage of Object.values(shopJobStages)) {
      expect(() => jobDefinitionSchema.parse(stage.job), stage.id).not.toThrow();
      expect(stage.kind).toBe(stage.job.output.layer === 'silver' ? 'glue' : 'emr-serverless');
    }
  });

  it('resolve to manifests over the lake layout with the day bounds bound', () => {
    const context = {
      bucket: 'lake',
      pipeline: 'shop',
      logicalDate: '2025-03-30',
      timeZone: 'Europe/Berlin',
    };
    const silver = shopJobManifest(shopJobStages.silver_orders, context);
    expect(silver).toMatchObject({
      stageId: 'silver_orders',
      inputs: [
        {
          name: 'changes',
          uri: 's3://lake/bronze/cdc/shop/orders/2025/03/30/',
          optional: true,
          columns: BRONZE_COLUMNS.orders,
        },
      ],
      quarantineWhen: '_quarantine_reason IS NOT NULL',
      outputUri: 's3://lake/silver/orders/dt=2025-03-30/',
    });
    const revenue = shopJobManifest(shopJobStages.daily_revenue, context);
    expect(revenue.inputs.map((input) => input.uri)).toEqual([
      's3://lake/silver/orders/dt=2025-03-30/',
      's3://lake/silver/order_items/dt=2025-03-30/',
      's3://lake/silver/products/',
    ]);
    // Berlin's 23-hour DST day.
    expect(revenue.sql).toContain("ordered_at >= TIMESTAMP '2025-03-29 23:00:00'");
    expect(revenue.sql).toContain("ordered_at < TIMESTAMP '2025-03-30 22:00:00'");
    expect(revenue.sql).toContain('${logical_date}');
    expect(shopJobManifest(shopJobStages.silver_accounts, context).inputs[0]!.uri).toBe(
      's3://lake/bronze/saas/accounts/dt=2025-03-30/',
    );
  });

  it('declare the schemas the simulator writes', () => {
    for (const [table, { columns }] of Object.entries(SHOP_TABLES)) {
      const simulated = Object.fromEntries(
        [...DMS_HEADER_COLUMNS, ...columns].map((column) => [column.name, COMMON_TYPE[column.type]]),
      );
      expect(BRONZE_COLUMNS[table as keyof typeof BRONZE_COLUMNS]).toEqual(simulated);
    }
    expect(ACCOUNTS_COLUMNS).toEqual(
      Object.fromEntries(ACCOUNT_COLUMNS.map((column) => [column.name, COMMON_TYPE[column.type]])),
    );
    expect([...ORDER_STATUSES]).toEqual([...SIMULATED_STATUSES]);
  });

  it('use only the Spark-SQL / DuckDB common subset (no engine-only syntax we know of)', () => {
    const engineOnly = [
      /\bQUALIFY\b/i, // DuckDB / Databricks only
      /::/, // DuckDB / Postgres cast
      /\bEXCLUDE\b|\bREPLACE\s*\(/i, // DuckDB star modifiers
      /\bILIKE\b/i,
      /\bAT TIME ZONE\b/i, // not in Spark 3
      /\bfrom_utc_timestamp\b|\bto_utc_timestamp\b|\bconvert_timezone\b/i, // Spark only
      /\bVARCHAR\b/i, // Spark wants STRING
      /"[A-Za-z_]+"/, // double-quoted identifiers are strings in Spark
    ];
    for (const stage of Object.values(shopJobStages)) {
      for (const pattern of engineOnly) expect(stage.job.sql, `${stage.id}: ${pattern}`).not.toMatch(pattern);
    }
  });
});

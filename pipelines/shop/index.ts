/**
 * The example `shop` pipeline: an OLTP shop database (DMS CDC) and a CRM (AppFlow) land in bronze;
 * Glue cleans each table into silver; EMR Serverless builds gold facts; Redshift keeps SCD2
 * dimensions and loads the facts. Every stage kind of medallion appears once at least.
 */
import type { PipelineSpecInput } from '../../core/pipeline-spec';
import { shopChecks } from './checks';
import { shopJobStages } from './jobs';
import { dimCustomer, dimProduct, factDailyRevenue, factOrders } from './warehouse';

const {
  silver_customers,
  silver_products,
  silver_orders,
  silver_order_items,
  silver_accounts,
  fact_orders,
  daily_revenue,
} = shopJobStages;

export const shopPipeline: PipelineSpecInput = {
  name: 'shop',
  description: 'Shop orders, customers and products, with CRM accounts, from bronze to Redshift',
  timeZone: 'Europe/Berlin',
  maxConcurrentStages: 4,
  stages: [
    {
      id: 'ingest_oltp',
      kind: 'dms',
      description: 'CDC of the shop database for the day, bounded at local midnight',
      task: 'shop_cdc',
      schema: 'shop',
      tables: ['customers', 'products', 'orders', 'order_items'],
    },
    {
      id: 'ingest_crm',
      kind: 'appflow',
      description: 'CRM accounts snapshot',
      flow: 'crm_accounts',
      object: 'accounts',
    },
    { ...silver_customers, dependsOn: ['ingest_oltp'], crawler: 'silver' },
    { ...silver_products, dependsOn: ['ingest_oltp'] },
    { ...silver_orders, dependsOn: ['ingest_oltp'], checks: shopChecks.silver_orders },
    { ...silver_order_items, dependsOn: ['ingest_oltp'] },
    { ...silver_accounts, dependsOn: ['ingest_crm'] },
    { ...fact_orders, dependsOn: ['silver_orders', 'silver_order_items'], checks: shopChecks.fact_orders },
    { ...daily_revenue, dependsOn: ['silver_orders', 'silver_order_items', 'silver_products'] },
    {
      id: 'scd2_dim_customer',
      kind: 'scd2',
      dependsOn: ['silver_customers'],
      dimension: dimCustomer,
      sourceTable: 'customers',
    },
    {
      id: 'scd2_dim_product',
      kind: 'scd2',
      dependsOn: ['silver_products'],
      dimension: dimProduct,
      sourceTable: 'products',
    },
    {
      id: 'load_fact_orders',
      kind: 'load',
      dependsOn: ['fact_orders'],
      fact: factOrders,
      sourceTable: 'fact_orders',
      checks: shopChecks.load_fact_orders,
    },
    {
      id: 'load_fact_daily_revenue',
      kind: 'load',
      // The day's revenue is published only when its orders passed fact_orders' gates: on a day that lost
      // most orders upstream, daily_revenue builds fine from what is left, and wrong totals would load.
      dependsOn: ['daily_revenue', 'fact_orders'],
      fact: factDailyRevenue,
      sourceTable: 'daily_revenue',
    },
  ],
};

import type { DimensionSpecInput, FactLoadSpecInput } from '../../core/warehouse-spec';

/** Column order follows the silver / gold files (Redshift COPY maps Parquet columns by position). */
export const dimCustomer: DimensionSpecInput = {
  table: 'dim_customer',
  schema: 'analytics',
  businessKey: ['customer_id'],
  columns: [
    { name: 'customer_id', type: 'bigint' },
    { name: 'email', type: 'varchar' },
    { name: 'full_name', type: 'varchar' },
    { name: 'tier', type: 'varchar' },
    { name: 'country', type: 'varchar' },
    { name: 'updated_at', type: 'timestamp' },
  ],
  // A name correction does not make a new customer version; an e-mail, tier or country change does.
  tracked: ['email', 'tier', 'country'],
  orderBy: 'updated_at',
  deletePolicy: 'close',
  lateArriving: 'quarantine',
};

export const dimProduct: DimensionSpecInput = {
  table: 'dim_product',
  schema: 'analytics',
  businessKey: ['product_id'],
  columns: [
    { name: 'product_id', type: 'bigint' },
    { name: 'sku', type: 'varchar' },
    { name: 'name', type: 'varchar' },
    { name: 'category', type: 'varchar' },
    { name: 'price_cents', type: 'bigint' },
    { name: 'updated_at', type: 'timestamp' },
  ],
  tracked: ['name', 'category', 'price_cents'],
  orderBy: 'updated_at',
  // A discontinued product keeps a visible "deleted" version for reporting.
  deletePolicy: 'tombstone',
  lateArriving: 'quarantine',
};

export const factOrders: FactLoadSpecInput = {
  table: 'fact_orders',
  schema: 'analytics',
  columns: [
    { name: 'order_id', type: 'bigint' },
    { name: 'customer_id', type: 'bigint' },
    { name: 'status', type: 'varchar' },
    { name: 'ordered_at', type: 'timestamp' },
    { name: 'item_count', type: 'bigint' },
    { name: 'total_cents', type: 'bigint' },
  ],
  partitionColumn: 'dt',
  uniqueKey: { columns: ['order_id'], latestBy: 'ordered_at' },
};

export const factDailyRevenue: FactLoadSpecInput = {
  table: 'fact_daily_revenue',
  schema: 'analytics',
  columns: [
    { name: 'category', type: 'varchar' },
    { name: 'orders', type: 'bigint' },
    { name: 'units', type: 'bigint' },
    { name: 'revenue_cents', type: 'bigint' },
  ],
  partitionColumn: 'dt',
};

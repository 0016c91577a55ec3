/**
 * The schemas the shop pipeline expects from its sources (DMS row images with Op and _commit_ts; the
 * CRM's accounts), in Spark-SQL / DuckDB common types. They type an absent optional input's empty view.
 */

const DMS_HEADER = { Op: 'STRING', _commit_ts: 'TIMESTAMP' } as const;

export const BRONZE_COLUMNS = {
  customers: {
    ...DMS_HEADER,
    customer_id: 'BIGINT',
    email: 'STRING',
    full_name: 'STRING',
    tier: 'STRING',
    country: 'STRING',
    updated_at: 'TIMESTAMP',
  },
  products: {
    ...DMS_HEADER,
    product_id: 'BIGINT',
    sku: 'STRING',
    name: 'STRING',
    category: 'STRING',
    price_cents: 'BIGINT',
    updated_at: 'TIMESTAMP',
  },
  orders: {
    ...DMS_HEADER,
    order_id: 'BIGINT',
    customer_id: 'BIGINT',
    status: 'STRING',
    ordered_at: 'TIMESTAMP',
    updated_at: 'TIMESTAMP',
  },
  order_items: {
    ...DMS_HEADER,
    order_id: 'BIGINT',
    line_no: 'INT',
    product_id: 'BIGINT',
    quantity: 'INT',
    unit_price_cents: 'BIGINT',
  },
} as const satisfies Record<string, Record<string, string>>;

export const ACCOUNTS_COLUMNS = {
  account_id: 'STRING',
  customer_email: 'STRING',
  name: 'STRING',
  owner: 'STRING',
  lifecycle_stage: 'STRING',
  last_modified: 'TIMESTAMP',
} as const;

/** The source schema name DMS writes under (bronze/cdc/<schema>/<table>/). */
export const SHOP_SOURCE_SCHEMA = 'shop';

import type { ShopJobStage } from './shop-job';
import { BRONZE_COLUMNS, SHOP_SOURCE_SCHEMA } from './source-columns';

/**
 * Cleaned product changes of the day: SKU upper-cased, category lower-cased. Rejected: unknown Op,
 * NULL key, an insert/update with a NULL or negative price.
 */
export const silverProducts: ShopJobStage = {
  id: 'silver_products',
  kind: 'glue',
  description: 'Cleaned product changes of the day (bronze CDC -> silver), malformed rows quarantined',
  job: {
    inputs: [
      {
        name: 'changes',
        source: { layer: 'bronze-cdc', schema: SHOP_SOURCE_SCHEMA, table: 'products' },
        optional: true,
        columns: BRONZE_COLUMNS.products,
      },
    ],
    sql: `
SELECT DISTINCT
  CAST(product_id AS BIGINT) AS product_id,
  UPPER(TRIM(sku)) AS sku,
  TRIM(name) AS name,
  LOWER(TRIM(category)) AS category,
  CAST(price_cents AS BIGINT) AS price_cents,
  CAST(updated_at AS TIMESTAMP) AS updated_at,
  Op AS _op,
  CAST(_commit_ts AS TIMESTAMP) AS _commit_ts,
  CASE
    WHEN Op IS NULL OR Op NOT IN ('I', 'U', 'D') THEN 'Op is not I, U or D'
    WHEN product_id IS NULL THEN 'product_id is NULL'
    WHEN Op <> 'D' AND price_cents IS NULL THEN 'price_cents is NULL'
    WHEN Op <> 'D' AND price_cents < 0 THEN 'price_cents is negative'
  END AS _quarantine_reason
FROM changes
ORDER BY _commit_ts, product_id`,
    quarantineWhen: '_quarantine_reason IS NOT NULL',
    output: { layer: 'silver', table: 'products' },
  },
};

import type { ShopJobStage } from './shop-job';
import { BRONZE_COLUMNS, SHOP_SOURCE_SCHEMA } from './source-columns';

/** Cleaned order-line changes of the day. Rejected: unknown Op, NULL key part, a quantity that is not positive. */
export const silverOrderItems: ShopJobStage = {
  id: 'silver_order_items',
  kind: 'glue',
  description: 'Cleaned order-line changes of the day (bronze CDC -> silver), bad quantities quarantined',
  job: {
    inputs: [
      {
        name: 'changes',
        source: { layer: 'bronze-cdc', schema: SHOP_SOURCE_SCHEMA, table: 'order_items' },
        optional: true,
        columns: BRONZE_COLUMNS.order_items,
      },
    ],
    sql: `
SELECT DISTINCT
  CAST(order_id AS BIGINT) AS order_id,
  CAST(line_no AS INT) AS line_no,
  CAST(product_id AS BIGINT) AS product_id,
  CAST(quantity AS INT) AS quantity,
  CAST(unit_price_cents AS BIGINT) AS unit_price_cents,
  Op AS _op,
  CAST(_commit_ts AS TIMESTAMP) AS _commit_ts,
  CASE
    WHEN Op IS NULL OR Op NOT IN ('I', 'U', 'D') THEN 'Op is not I, U or D'
    WHEN order_id IS NULL OR line_no IS NULL THEN 'order_id or line_no is NULL'
    WHEN Op <> 'D' AND (quantity IS NULL OR quantity <= 0) THEN 'quantity is not positive'
  END AS _quarantine_reason
FROM changes
ORDER BY _commit_ts, order_id, line_no`,
    quarantineWhen: '_quarantine_reason IS NOT NULL',
    output: { layer: 'silver', table: 'order_items' },
  },
};

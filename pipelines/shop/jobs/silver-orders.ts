import type { ShopJobStage } from './shop-job';
import { BRONZE_COLUMNS, SHOP_SOURCE_SCHEMA } from './source-columns';

/** Order statuses the pipeline knows; any other value is quarantined. */
export const ORDER_STATUSES = ['placed', 'paid', 'shipped', 'delivered', 'cancelled'] as const;

/** Cleaned order changes of the day: status lower-cased. Rejected: unknown Op, NULL key, unknown status. */
export const silverOrders: ShopJobStage = {
  id: 'silver_orders',
  kind: 'glue',
  description: 'Cleaned order changes of the day (bronze CDC -> silver), unknown statuses quarantined',
  job: {
    inputs: [
      {
        name: 'changes',
        source: { layer: 'bronze-cdc', schema: SHOP_SOURCE_SCHEMA, table: 'orders' },
        optional: true,
        columns: BRONZE_COLUMNS.orders,
      },
    ],
    sql: `
SELECT DISTINCT
  CAST(order_id AS BIGINT) AS order_id,
  CAST(customer_id AS BIGINT) AS customer_id,
  LOWER(TRIM(status)) AS status,
  CAST(ordered_at AS TIMESTAMP) AS ordered_at,
  CAST(updated_at AS TIMESTAMP) AS updated_at,
  Op AS _op,
  CAST(_commit_ts AS TIMESTAMP) AS _commit_ts,
  CASE
    WHEN Op IS NULL OR Op NOT IN ('I', 'U', 'D') THEN 'Op is not I, U or D'
    WHEN order_id IS NULL THEN 'order_id is NULL'
    WHEN Op <> 'D' AND (status IS NULL OR LOWER(TRIM(status)) NOT IN (${ORDER_STATUSES.map((status) => `'${status}'`).join(', ')}))
      THEN 'status is unknown'
  END AS _quarantine_reason
FROM changes
ORDER BY _commit_ts, order_id`,
    quarantineWhen: '_quarantine_reason IS NOT NULL',
    output: { layer: 'silver', table: 'orders' },
  },
};

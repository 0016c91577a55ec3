import { CURRENT_ITEMS_CTE, PLACED_TODAY_CTE } from './gold-fragments';
import type { ShopJobStage } from './shop-job';

/**
 * One row per order placed on the logical date (its `ordered_at` falls on that day in the pipeline's
 * time zone), with the latest status known by the end of the day; item_count is the number of units
 * (sum of quantities) and total_cents their value, over the order's valid lines.
 */
export const factOrders: ShopJobStage = {
  id: 'fact_orders',
  kind: 'emr-serverless',
  description: 'Orders placed on the day with their end-of-day status and totals (silver -> gold)',
  job: {
    inputs: [
      { name: 'orders', source: { layer: 'silver', table: 'orders' } },
      { name: 'order_items', source: { layer: 'silver', table: 'order_items' } },
    ],
    sql: `
WITH ${PLACED_TODAY_CTE},
${CURRENT_ITEMS_CTE}
SELECT
  o.order_id,
  o.customer_id,
  o.status,
  o.ordered_at,
  CAST(COALESCE(SUM(i.quantity), 0) AS BIGINT) AS item_count,
  CAST(COALESCE(SUM(i.quantity * i.unit_price_cents), 0) AS BIGINT) AS total_cents
FROM placed_today o
LEFT JOIN current_items i ON i.order_id = o.order_id
GROUP BY o.order_id, o.customer_id, o.status, o.ordered_at
ORDER BY o.order_id`,
    output: { layer: 'gold', table: 'fact_orders' },
  },
};

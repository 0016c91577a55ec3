import { CURRENT_ITEMS_CTE, PLACED_TODAY_CTE } from './gold-fragments';
import type { ShopJobStage } from './shop-job';

/**
 * Revenue of the orders placed on the logical date, per product category: cancelled orders (status at
 * the end of the day) count for nothing. A product's category is the one known at the end of the day:
 * its latest version over ALL silver products partitions up to and including the logical date. Lines
 * whose product is unknown there are quarantined (category NULL) instead of vanishing.
 */
export const dailyRevenue: ShopJobStage = {
  id: 'daily_revenue',
  kind: 'emr-serverless',
  description: 'Revenue of the day per product category (silver -> gold)',
  job: {
    inputs: [
      { name: 'orders', source: { layer: 'silver', table: 'orders' } },
      { name: 'order_items', source: { layer: 'silver', table: 'order_items' } },
      { name: 'products', source: { layer: 'silver', table: 'products', allDates: true } },
    ],
    sql: `
WITH ${PLACED_TODAY_CTE},
${CURRENT_ITEMS_CTE},
product_versions AS (
  SELECT product_id, category,
         ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY _commit_ts DESC) AS version_rank
  FROM products
  WHERE CAST(dt AS DATE) <= DATE '\${logical_date}'
)
SELECT
  p.category,
  CAST(COUNT(DISTINCT o.order_id) AS BIGINT) AS orders,
  CAST(SUM(i.quantity) AS BIGINT) AS units,
  CAST(SUM(i.quantity * i.unit_price_cents) AS BIGINT) AS revenue_cents
FROM placed_today o
JOIN current_items i ON i.order_id = o.order_id
LEFT JOIN product_versions p ON p.product_id = i.product_id AND p.version_rank = 1
WHERE o.status <> 'cancelled'
GROUP BY p.category
ORDER BY p.category NULLS LAST`,
    quarantineWhen: 'category IS NULL',
    output: { layer: 'gold', table: 'daily_revenue' },
  },
};

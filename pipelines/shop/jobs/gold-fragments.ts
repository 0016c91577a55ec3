/**
 * Common table expressions shared by the gold jobs (Spark-SQL / DuckDB common subset). "Latest" means
 * the highest `_commit_ts`, not `updated_at`: the source's `updated_at` can be skewed (late rows).
 */

/** `placed_today`: orders placed on the logical date (pipeline time zone) with their latest status of the day. */
export const PLACED_TODAY_CTE = `
order_versions AS (
  SELECT order_id, customer_id, status, ordered_at, _op,
         ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY _commit_ts DESC) AS version_rank
  FROM orders
),
placed_today AS (
  SELECT order_id, customer_id, status, ordered_at
  FROM order_versions
  WHERE version_rank = 1
    AND _op <> 'D'
    AND ordered_at >= TIMESTAMP '\${day_start_utc}'
    AND ordered_at < TIMESTAMP '\${day_end_utc}'
)`;

/** `current_items`: each order line's latest version of the day, deleted lines dropped. */
export const CURRENT_ITEMS_CTE = `
item_versions AS (
  SELECT order_id, line_no, product_id, quantity, unit_price_cents, _op,
         ROW_NUMBER() OVER (PARTITION BY order_id, line_no ORDER BY _commit_ts DESC) AS version_rank
  FROM order_items
),
current_items AS (
  SELECT order_id, line_no, product_id, quantity, unit_price_cents
  FROM item_versions
  WHERE version_rank = 1 AND _op <> 'D'
)`;

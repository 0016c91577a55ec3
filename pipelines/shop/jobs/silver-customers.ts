import type { ShopJobStage } from './shop-job';
import { BRONZE_COLUMNS, SHOP_SOURCE_SCHEMA } from './source-columns';

/**
 * Cleaned customer changes of the day: e-mail trimmed and lower-cased, tier lower-cased, country
 * upper-cased. Rejected: unknown Op, NULL key, an insert/update whose e-mail is not an address.
 * DISTINCT absorbs a CDC window replicated twice; ORDER BY makes the output file deterministic.
 */
export const silverCustomers: ShopJobStage = {
  id: 'silver_customers',
  kind: 'glue',
  description: 'Cleaned customer changes of the day (bronze CDC -> silver), malformed rows quarantined',
  job: {
    inputs: [
      {
        name: 'changes',
        source: { layer: 'bronze-cdc', schema: SHOP_SOURCE_SCHEMA, table: 'customers' },
        optional: true,
        columns: BRONZE_COLUMNS.customers,
      },
    ],
    sql: `
SELECT DISTINCT
  CAST(customer_id AS BIGINT) AS customer_id,
  LOWER(TRIM(email)) AS email,
  TRIM(full_name) AS full_name,
  LOWER(TRIM(tier)) AS tier,
  UPPER(TRIM(country)) AS country,
  CAST(updated_at AS TIMESTAMP) AS updated_at,
  Op AS _op,
  CAST(_commit_ts AS TIMESTAMP) AS _commit_ts,
  CASE
    WHEN Op IS NULL OR Op NOT IN ('I', 'U', 'D') THEN 'Op is not I, U or D'
    WHEN customer_id IS NULL THEN 'customer_id is NULL'
    WHEN Op <> 'D' AND (email IS NULL OR TRIM(email) NOT LIKE '%_@_%') THEN 'email is not an address'
  END AS _quarantine_reason
FROM changes
ORDER BY _commit_ts, customer_id`,
    quarantineWhen: '_quarantine_reason IS NOT NULL',
    output: { layer: 'silver', table: 'customers' },
  },
};

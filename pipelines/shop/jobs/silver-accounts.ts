import type { ShopJobStage } from './shop-job';
import { ACCOUNTS_COLUMNS } from './source-columns';

/**
 * The CRM accounts as of the logical date (AppFlow's snapshot), cleaned: e-mail trimmed and
 * lower-cased, owner and stage lower-cased. Rejected: NULL id, an e-mail that is not an address.
 */
export const silverAccounts: ShopJobStage = {
  id: 'silver_accounts',
  kind: 'glue',
  description: 'Cleaned CRM accounts snapshot of the day (bronze SaaS -> silver)',
  job: {
    inputs: [
      {
        name: 'snapshot',
        source: { layer: 'bronze-saas', object: 'accounts' },
        optional: true,
        columns: ACCOUNTS_COLUMNS,
      },
    ],
    sql: `
SELECT DISTINCT
  TRIM(account_id) AS account_id,
  LOWER(TRIM(customer_email)) AS customer_email,
  TRIM(name) AS name,
  LOWER(TRIM(owner)) AS owner,
  LOWER(TRIM(lifecycle_stage)) AS lifecycle_stage,
  CAST(last_modified AS TIMESTAMP) AS last_modified,
  CASE
    WHEN account_id IS NULL THEN 'account_id is NULL'
    WHEN customer_email IS NULL OR TRIM(customer_email) NOT LIKE '%_@_%' THEN 'customer_email is not an address'
  END AS _quarantine_reason
FROM snapshot
ORDER BY account_id`,
    quarantineWhen: '_quarantine_reason IS NOT NULL',
    output: { layer: 'silver', table: 'accounts' },
  },
};

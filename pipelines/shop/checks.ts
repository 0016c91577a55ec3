/**
 * The shop's data-quality gates (core/quality-checks.ts). `block` where loading the day would put
 * wrong numbers in front of people; `warn` where the day is usable but someone should look.
 * `npm start` with MEDALLION_BAD_DAYS (README "Quality gates") makes the simulator break a day so
 * they trip.
 */
import type { QualityCheckInput } from '../../core/quality-checks';

export const shopChecks = {
  silver_orders: [
    {
      name: 'one_version_per_commit',
      kind: 'unique',
      columns: ['order_id', '_commit_ts'],
      description: 'two images of one order committed at the same instant: the source is inconsistent',
    },
    {
      name: 'malformed_share',
      kind: 'quarantineRatio',
      max: 0.1,
      severity: 'warn',
      description: 'about 2 % of changes are malformed on a normal day',
    },
    {
      name: 'orders_keep_flowing',
      kind: 'freshness',
      column: '_commit_ts',
      within: '6h',
      severity: 'warn',
      description: 'the shop takes orders all evening: no change in the last 6 hours means CDC stalled',
    },
  ],
  fact_orders: [
    {
      name: 'orders_vs_7_day_median',
      kind: 'rowCount',
      trailing: { days: 7, minRatio: 0.5 },
      description: 'half the usual orders missing is an outage upstream, not a slow day',
    },
    { name: 'one_row_per_order', kind: 'unique', columns: ['order_id'] },
    { name: 'totals_not_negative', kind: 'predicate', sql: 'total_cents >= 0' },
  ],
  load_fact_orders: [
    { name: 'customer_present', kind: 'notNull', columns: ['order_id', 'customer_id'] },
    {
      name: 'orders_staged',
      kind: 'rowCount',
      min: 1,
      severity: 'warn',
      description: 'a day without a single order is worth a look',
    },
  ],
} satisfies Record<string, QualityCheckInput[]>;

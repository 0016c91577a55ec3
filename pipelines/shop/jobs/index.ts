import { dailyRevenue } from './daily-revenue';
import { factOrders } from './fact-orders';
import type { ShopJobStage } from './shop-job';
import { silverAccounts } from './silver-accounts';
import { silverCustomers } from './silver-customers';
import { silverOrderItems } from './silver-order-items';
import { silverOrders } from './silver-orders';
import { silverProducts } from './silver-products';

export { DAY_END_PLACEHOLDER, DAY_START_PLACEHOLDER, type ShopJobStage } from './shop-job';
/** The shop pipeline's SQL jobs: silver (Glue, one per source table), then gold (EMR Serverless). */
export const shopJobStages = {
  silver_customers: silverCustomers,
  silver_products: silverProducts,
  silver_orders: silverOrders,
  silver_order_items: silverOrderItems,
  silver_accounts: silverAccounts,
  fact_orders: factOrders,
  daily_revenue: dailyRevenue,
} as const satisfies Record<string, ShopJobStage>;

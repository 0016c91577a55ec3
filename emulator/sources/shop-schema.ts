/**
 * The simulated sources' schemas: the shop's OLTP tables (replicated by DMS) and the CRM's `accounts`
 * object (pulled by AppFlow). Column order here is the column order of the written Parquet files.
 */

type ColumnType = 'BIGINT' | 'INTEGER' | 'VARCHAR' | 'TIMESTAMP';

export interface ColumnDef {
  name: string;
  type: ColumnType;
}

export interface CustomerRow {
  customer_id: number | null;
  email: string | null;
  full_name: string | null;
  tier: string | null;
  country: string | null;
  updated_at: Date | null;
}

export interface ProductRow {
  product_id: number | null;
  sku: string | null;
  name: string | null;
  category: string | null;
  price_cents: number | null;
  updated_at: Date | null;
}

export interface OrderRow {
  order_id: number | null;
  customer_id: number | null;
  status: string | null;
  ordered_at: Date | null;
  updated_at: Date | null;
}

export interface OrderItemRow {
  order_id: number | null;
  line_no: number | null;
  product_id: number | null;
  quantity: number | null;
  unit_price_cents: number | null;
}

export interface AccountRow {
  account_id: string | null;
  customer_email: string | null;
  name: string | null;
  owner: string | null;
  lifecycle_stage: string | null;
  last_modified: Date | null;
}

export interface ShopRows {
  customers: CustomerRow;
  products: ProductRow;
  orders: OrderRow;
  order_items: OrderItemRow;
}

export type ShopTable = keyof ShopRows;

export const SHOP_TABLES: Record<ShopTable, { columns: ColumnDef[]; primaryKey: string[] }> = {
  customers: {
    primaryKey: ['customer_id'],
    columns: [
      { name: 'customer_id', type: 'BIGINT' },
      { name: 'email', type: 'VARCHAR' },
      { name: 'full_name', type: 'VARCHAR' },
      { name: 'tier', type: 'VARCHAR' },
      { name: 'country', type: 'VARCHAR' },
      { name: 'updated_at', type: 'TIMESTAMP' },
    ],
  },
  products: {
    primaryKey: ['product_id'],
    columns: [
      { name: 'product_id', type: 'BIGINT' },
      { name: 'sku', type: 'VARCHAR' },
      { name: 'name', type: 'VARCHAR' },
      { name: 'category', type: 'VARCHAR' },
      { name: 'price_cents', type: 'BIGINT' },
      { name: 'updated_at', type: 'TIMESTAMP' },
    ],
  },
  orders: {
    primaryKey: ['order_id'],
    columns: [
      { name: 'order_id', type: 'BIGINT' },
      { name: 'customer_id', type: 'BIGINT' },
      { name: 'status', type: 'VARCHAR' },
      { name: 'ordered_at', type: 'TIMESTAMP' },
      { name: 'updated_at', type: 'TIMESTAMP' },
    ],
  },
  order_items: {
    primaryKey: ['order_id', 'line_no'],
    columns: [
      { name: 'order_id', type: 'BIGINT' },
      { name: 'line_no', type: 'INTEGER' },
      { name: 'product_id', type: 'BIGINT' },
      { name: 'quantity', type: 'INTEGER' },
      { name: 'unit_price_cents', type: 'BIGINT' },
    ],
  },
};

export const SHOP_TABLE_NAMES = Object.keys(SHOP_TABLES) as ShopTable[];

/** DMS prepends these to every row image (IncludeOpForFullLoad=true, TimestampColumnName=_commit_ts). */
export const DMS_HEADER_COLUMNS: ColumnDef[] = [
  { name: 'Op', type: 'VARCHAR' },
  { name: '_commit_ts', type: 'TIMESTAMP' },
];

export const CRM_OBJECT = 'accounts';

export const ACCOUNT_COLUMNS: ColumnDef[] = [
  { name: 'account_id', type: 'VARCHAR' },
  { name: 'customer_email', type: 'VARCHAR' },
  { name: 'name', type: 'VARCHAR' },
  { name: 'owner', type: 'VARCHAR' },
  { name: 'lifecycle_stage', type: 'VARCHAR' },
  { name: 'last_modified', type: 'TIMESTAMP' },
];

/** Values the source applications consider valid; anything else in these columns is malformed. */
export const ORDER_STATUSES = ['placed', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
export const CUSTOMER_TIERS = ['standard', 'plus', 'premium'] as const;
export const LIFECYCLE_STAGES = ['lead', 'prospect', 'customer', 'churned'] as const;

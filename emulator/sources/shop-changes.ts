import type { AccountRow, ShopRows, ShopTable } from './shop-schema';

type ChangeOp = 'I' | 'U' | 'D';

/**
 * One row image the source database committed, exactly as DMS replicates it (Op, commit time, row).
 * The flags say what the simulator meant by it, so tests can compute expectations independently of
 * the pipeline's SQL.
 */
export type ShopChange = {
  [T in ShopTable]: {
    table: T;
    op: ChangeOp;
    /** Source commit time (UTC): DMS's `_commit_ts`. Unique per key: two changes of one key never share it. */
    commitTs: Date;
    /** The row image; for 'D' the before image (key and last values), as DMS writes it. */
    row: ShopRows[T];
    /** The row's `updated_at` is older than the key's previous change (source clock skew). */
    late: boolean;
    /** An update that changes no business column. */
    noop: boolean;
    /** An insert of a key that had been deleted earlier. */
    resurrection: boolean;
    /**
     * Why the pipeline must reject this row, or null when it is valid. Malformed rows never change the
     * simulated database's true state: a later valid change of the key carries its true values.
     */
    malformed: MalformedReason | null;
  };
}[ShopTable];

/** One version of a CRM account; a snapshot shows each account's latest version. */
export interface AccountVersion {
  row: AccountRow;
  malformed: MalformedReason | null;
}

/** The rule a malformed row breaks. The pipeline's silver jobs quarantine rows with these reasons. */
export const MalformedReason = {
  customerIdNull: 'customer_id is NULL',
  emailNotAddress: 'email is not an address',
  productIdNull: 'product_id is NULL',
  priceNegative: 'price_cents is negative',
  statusUnknown: 'status is unknown',
  quantityNotPositive: 'quantity is not positive',
  accountEmailNotAddress: 'customer_email is not an address',
} as const;

export type MalformedReason = (typeof MalformedReason)[keyof typeof MalformedReason];

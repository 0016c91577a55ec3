/** Knobs of the simulated shop. Every default is documented here; tests read the rates from here too. */
export interface ShopSimulationOptions {
  /**
   * UTC midnight at which the simulated shop opens. Its database is empty before; the day of the epoch
   * starts with the initial catalogue, customers and CRM accounts. Default 2024-01-01T00:00:00Z.
   */
  epochUtc?: Date;
  /** Multiplies every daily rate. 1 = about 400 OLTP changes a day. Default 1. */
  scale?: number;
  /** Share of updates whose `updated_at` is older than the key's previous change (clock skew). Default 0.03. */
  lateRate?: number;
  /** Share of changes replaced or accompanied by a malformed row. Default 0.02. */
  malformedRate?: number;
  /** Share of updates that change no business column (only `updated_at` moves). Default 0.1. */
  noopRate?: number;
}

export type ResolvedShopOptions = Required<Omit<ShopSimulationOptions, 'epochUtc'>> & { epochMs: number };

export const DAY_MS = 86_400_000;

export const DEFAULT_SHOP_OPTIONS = {
  epochMs: Date.UTC(2024, 0, 1),
  scale: 1,
  lateRate: 0.03,
  malformedRate: 0.02,
  noopRate: 0.1,
} as const satisfies ResolvedShopOptions;

export function resolveShopOptions(options: ShopSimulationOptions = {}): ResolvedShopOptions {
  const epochMs = options.epochUtc ? options.epochUtc.getTime() : DEFAULT_SHOP_OPTIONS.epochMs;
  if (!Number.isFinite(epochMs) || epochMs % DAY_MS !== 0) {
    throw new Error(
      `epochUtc must be a UTC midnight, e.g. new Date('2024-01-01T00:00:00Z'); got ${String(options.epochUtc)}`,
    );
  }
  const resolved: ResolvedShopOptions = {
    epochMs,
    scale: options.scale ?? DEFAULT_SHOP_OPTIONS.scale,
    lateRate: options.lateRate ?? DEFAULT_SHOP_OPTIONS.lateRate,
    malformedRate: options.malformedRate ?? DEFAULT_SHOP_OPTIONS.malformedRate,
    noopRate: options.noopRate ?? DEFAULT_SHOP_OPTIONS.noopRate,
  };
  if (!(resolved.scale > 0 && resolved.scale <= 100)) {
    throw new Error(`scale must be in (0, 100]; got ${resolved.scale}`);
  }
  for (const rate of ['lateRate', 'malformedRate', 'noopRate'] as const) {
    if (!(resolved[rate] >= 0 && resolved[rate] <= 0.5)) {
      throw new Error(`${rate} must be a fraction in [0, 0.5]; got ${resolved[rate]}`);
    }
  }
  return resolved;
}

export function optionsKey(options: ResolvedShopOptions): string {
  return [options.epochMs, options.scale, options.lateRate, options.malformedRate, options.noopRate].join(
    '/',
  );
}

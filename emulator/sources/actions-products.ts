import { MalformedReason } from './shop-changes';
import type { ProductRow } from './shop-schema';
import { PRODUCT_ADJECTIVES, PRODUCT_CATEGORIES, PRODUCT_NOUNS } from './shop-vocabulary';
import { skewedBefore, type DayContext } from './shop-world';
import type { SeededRandom } from './seeded-random';

export function newProduct(ctx: DayContext, atMs: number): void {
  const random = ctx.random.products;
  const commitMs = ctx.commitAt(atMs);
  if (random.chance(ctx.options.malformedRate)) {
    emitMalformedProduct(ctx, commitMs);
    return;
  }
  const id = ctx.state.nextIds.product++;
  const row = productRow(random, id, commitMs);
  ctx.state.products.set(id, row);
  ctx.emit(change(row, 'I', commitMs));
}

/** A price change of 5-30 % up or down; some are no-ops, some late, some negative (malformed). */
export function changePrice(ctx: DayContext, atMs: number): void {
  const random = ctx.random.products;
  const id = ctx.state.products.pickKey(random);
  if (id === undefined) return;
  const previous = ctx.state.products.get(id)!;
  const commitMs = ctx.commitAt(atMs);
  if (random.chance(ctx.options.malformedRate)) {
    emitMalformedProduct(ctx, commitMs, previous);
    return;
  }
  const noop = random.chance(ctx.options.noopRate);
  const factor = 1 + (random.chance(0.5) ? 1 : -1) * (random.int(5, 30) / 100);
  const price = noop
    ? previous.price_cents!
    : Math.max(99, Math.round((previous.price_cents! * factor) / 100) * 100 - 1);
  updateProduct(
    ctx,
    id,
    previous,
    { ...previous, price_cents: price },
    commitMs,
    noop || price === previous.price_cents,
  );
}

/** The product moves to another category (affects which category later revenue counts towards). */
export function recategorizeProduct(ctx: DayContext, atMs: number): void {
  const random = ctx.random.products;
  const id = ctx.state.products.pickKey(random);
  if (id === undefined) return;
  const previous = ctx.state.products.get(id)!;
  const commitMs = ctx.commitAt(atMs);
  const category = random.pick(PRODUCT_CATEGORIES.filter((candidate) => candidate !== previous.category));
  updateProduct(ctx, id, previous, { ...previous, category }, commitMs, false);
}

/** A malformed product row instead of the intended change: no key, or a negative price. */
function emitMalformedProduct(ctx: DayContext, commitMs: number, previous?: ProductRow): void {
  const random = ctx.random.products;
  if (previous && random.chance(0.5)) {
    const row = { ...previous, price_cents: -previous.price_cents!, updated_at: new Date(commitMs) };
    ctx.emit(change(row, 'U', commitMs, { malformed: MalformedReason.priceNegative }));
    return;
  }
  ctx.emit(
    change(productRow(random, null, commitMs), 'I', commitMs, { malformed: MalformedReason.productIdNull }),
  );
}

function updateProduct(
  ctx: DayContext,
  id: number,
  previous: ProductRow,
  next: ProductRow,
  commitMs: number,
  noop: boolean,
): void {
  const late = ctx.random.products.chance(ctx.options.lateRate);
  const row = {
    ...next,
    updated_at: late ? skewedBefore(ctx.random.products, previous.updated_at!) : new Date(commitMs),
  };
  ctx.state.products.set(id, row);
  ctx.emit(change(row, 'U', commitMs, { late, noop }));
}

function productRow(random: SeededRandom, id: number | null, commitMs: number): ProductRow {
  return {
    product_id: id,
    sku: `SKU-${String(id ?? random.int(900_000, 999_999)).padStart(6, '0')}`,
    name: `${random.pick(PRODUCT_ADJECTIVES)} ${random.pick(PRODUCT_NOUNS)}`,
    category: random.pick(PRODUCT_CATEGORIES),
    price_cents: random.int(2, 200) * 100 - 1,
    updated_at: new Date(commitMs),
  };
}

function change(
  row: ProductRow,
  op: 'I' | 'U',
  commitMs: number,
  flags: { late?: boolean; noop?: boolean; malformed?: MalformedReason } = {},
) {
  return {
    table: 'products' as const,
    op,
    commitTs: new Date(commitMs),
    row,
    late: flags.late ?? false,
    noop: flags.noop ?? false,
    resurrection: false,
    malformed: flags.malformed ?? null,
  };
}

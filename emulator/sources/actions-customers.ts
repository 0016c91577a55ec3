import { MalformedReason } from './shop-changes';
import { CUSTOMER_TIERS, type CustomerRow } from './shop-schema';
import { COUNTRIES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES } from './shop-vocabulary';
import { skewedBefore, type DayContext } from './shop-world';
import type { SeededRandom } from './seeded-random';

/** Several updates of one customer within minutes share this: the first picks the customer. */
export interface BurstTarget {
  customerId?: number;
}

export function newCustomer(ctx: DayContext, atMs: number): void {
  const random = ctx.random.customers;
  const commitMs = ctx.commitAt(atMs);
  const first = random.pick(FIRST_NAMES);
  const last = random.pick(LAST_NAMES);
  if (random.chance(ctx.options.malformedRate)) {
    emitMalformedCustomer(ctx, commitMs);
    return;
  }
  const id = ctx.state.nextIds.customer++;
  const row = customerRow(random, id, first, last, commitMs);
  ctx.state.customers.set(id, row);
  ctx.emit(change(row, 'I', commitMs));
}

export function updateCustomer(ctx: DayContext, atMs: number, burst?: BurstTarget): void {
  const random = ctx.random.customers;
  const id = burst?.customerId ?? ctx.state.customers.pickKey(random);
  if (burst && id !== undefined) burst.customerId = id;
  const previous = id === undefined ? undefined : ctx.state.customers.get(id);
  if (id === undefined || !previous) return;
  const commitMs = ctx.commitAt(atMs);
  if (random.chance(ctx.options.malformedRate)) {
    emitMalformedCustomer(ctx, commitMs, previous);
    return;
  }
  const noop = random.chance(ctx.options.noopRate);
  const row: CustomerRow = noop ? { ...previous } : changedCustomer(random, previous, id);
  const late = random.chance(ctx.options.lateRate);
  row.updated_at = late ? skewedBefore(random, previous.updated_at!) : new Date(commitMs);
  ctx.state.customers.set(id, row);
  ctx.emit(change(row, 'U', commitMs, { noop, late }));
}

export function deleteCustomer(ctx: DayContext, atMs: number): void {
  const id = ctx.state.customers.pickKey(ctx.random.customers);
  if (id === undefined) return;
  const beforeImage = ctx.state.customers.get(id)!;
  const commitMs = ctx.commitAt(atMs);
  ctx.state.customers.delete(id);
  ctx.state.deletedCustomers.set(id, beforeImage);
  ctx.emit(change(beforeImage, 'D', commitMs));
}

/** The same customer_id is inserted again (an account restored after a deletion). */
export function resurrectCustomer(ctx: DayContext, atMs: number): void {
  const random = ctx.random.customers;
  const id = ctx.state.deletedCustomers.pickKey(random);
  if (id === undefined) return;
  const previous = ctx.state.deletedCustomers.get(id)!;
  const commitMs = ctx.commitAt(atMs);
  const row: CustomerRow = { ...previous, tier: 'standard', updated_at: new Date(commitMs) };
  ctx.state.deletedCustomers.delete(id);
  ctx.state.customers.set(id, row);
  ctx.emit(change(row, 'I', commitMs, { resurrection: true }));
}

/**
 * A malformed customer row instead of the intended change: an insert without key, or (when a
 * customer is at hand) an update whose e-mail lost its '@'. The true state does not change.
 */
function emitMalformedCustomer(ctx: DayContext, commitMs: number, previous?: CustomerRow): void {
  const random = ctx.random.customers;
  if (previous && random.chance(0.5)) {
    const email = previous.email!.trim().replace('@', '.');
    const row = { ...previous, email, updated_at: new Date(commitMs) };
    ctx.emit(change(row, 'U', commitMs, { malformed: MalformedReason.emailNotAddress }));
    return;
  }
  const row = customerRow(random, null, random.pick(FIRST_NAMES), random.pick(LAST_NAMES), commitMs);
  ctx.emit(change(row, 'I', commitMs, { malformed: MalformedReason.customerIdNull }));
}

/** The address as typed: sometimes with capitals or stray spaces, which silver normalises. */
function customerEmail(
  random: SeededRandom,
  first: string,
  last: string,
  id: number | null,
  domain: string = random.pick(EMAIL_DOMAINS),
): string {
  const address = `${first}.${last}.${id ?? random.int(1, 9999)}@${domain}`;
  if (random.chance(0.06)) return ` ${address} `;
  return random.chance(0.9) ? address.toLowerCase() : address;
}

function customerRow(
  random: SeededRandom,
  id: number | null,
  first: string,
  last: string,
  commitMs: number,
): CustomerRow {
  const country = random.pick(COUNTRIES);
  return {
    customer_id: id,
    email: customerEmail(random, first, last, id),
    full_name: `${first} ${last}`,
    tier: random.chance(0.7) ? 'standard' : random.pick(CUSTOMER_TIERS),
    country: random.chance(0.05) ? country.toLowerCase() : country,
    updated_at: new Date(commitMs),
  };
}

function changedCustomer(random: SeededRandom, previous: CustomerRow, id: number): CustomerRow {
  const [first = 'Someone', last = 'Else'] = (previous.full_name ?? '').split(' ');
  switch (random.int(0, 3)) {
    case 0: {
      const oldDomain = (previous.email ?? '').trim().toLowerCase().split('@')[1];
      const domain = random.pick(EMAIL_DOMAINS.filter((candidate) => candidate !== oldDomain));
      return { ...previous, email: customerEmail(random, first, last, id, domain) };
    }
    case 1: {
      const newLast = random.pick(LAST_NAMES.filter((name) => name !== last));
      return { ...previous, full_name: `${first} ${newLast}` };
    }
    case 2:
      return { ...previous, tier: random.pick(CUSTOMER_TIERS.filter((tier) => tier !== previous.tier)) };
    default: {
      const oldCountry = previous.country?.toUpperCase();
      return { ...previous, country: random.pick(COUNTRIES.filter((code) => code !== oldCountry)) };
    }
  }
}

function change(
  row: CustomerRow,
  op: 'I' | 'U' | 'D',
  commitMs: number,
  flags: { late?: boolean; noop?: boolean; resurrection?: boolean; malformed?: MalformedReason } = {},
) {
  return {
    table: 'customers' as const,
    op,
    commitTs: new Date(commitMs),
    row,
    late: flags.late ?? false,
    noop: flags.noop ?? false,
    resurrection: flags.resurrection ?? false,
    malformed: flags.malformed ?? null,
  };
}

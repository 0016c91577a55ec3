import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SHOP_OPTIONS,
  MalformedReason,
  shopChangeLog,
  shopSnapshotAt,
  type ShopChange,
} from '../../emulator/sources/shop-simulator';
import { ORDER_STATUSES } from '../../emulator/sources/shop-schema';

const options = { epochUtc: new Date('2025-03-01T00:00:00Z') };
const SEED = 20250330;
const from = new Date('2025-03-20T00:00:00Z');
const to = new Date('2025-04-03T00:00:00Z');
const DAY_MS = 86_400_000;

function serialise(changes: ShopChange[]): string {
  return JSON.stringify(changes);
}

/** The rules a valid row satisfies, written independently of the pipeline's SQL. */
function brokenRule(change: ShopChange): string | null {
  const isAddress = (text: string | null) => text !== null && /.@./.test(text.trim());
  switch (change.table) {
    case 'customers':
      if (change.row.customer_id === null) return MalformedReason.customerIdNull;
      return change.op !== 'D' && !isAddress(change.row.email) ? MalformedReason.emailNotAddress : null;
    case 'products':
      if (change.row.product_id === null) return MalformedReason.productIdNull;
      return change.op !== 'D' && change.row.price_cents! < 0 ? MalformedReason.priceNegative : null;
    case 'orders':
      return ORDER_STATUSES.some((status) => status === change.row.status!.trim().toLowerCase())
        ? null
        : MalformedReason.statusUnknown;
    case 'order_items':
      return change.row.quantity! <= 0 ? MalformedReason.quantityNotPositive : null;
  }
}

function keyOf(change: ShopChange): string {
  const row = change.row as unknown as Record<string, unknown>;
  return change.table === 'order_items'
    ? `${change.table}/${String(row.order_id)}/${String(row.line_no)}`
    : `${change.table}/${String(row[Object.keys(row)[0]!])}`;
}

describe('shop change log', () => {
  const changes = shopChangeLog(SEED, from, to, options);
  const valid = changes.filter((change) => !change.malformed);

  it('is a pure function of (seed, time): any split of the window yields the same records', () => {
    const whole = serialise(changes);
    fc.assert(
      fc.property(fc.integer({ min: from.getTime(), max: to.getTime() }), (splitMs) => {
        const split = new Date(splitMs);
        const parts = [
          ...shopChangeLog(SEED, from, split, options),
          ...shopChangeLog(SEED, split, to, options),
        ];
        expect(serialise(parts)).toBe(whole);
      }),
      { numRuns: 25 },
    );
  });

  it('differs between seeds and is the same on a fresh timeline (default epoch too)', () => {
    expect(serialise(shopChangeLog(SEED + 1, from, to, options))).not.toBe(serialise(changes));
    const day = [new Date('2024-06-01T00:00:00Z'), new Date('2024-06-02T00:00:00Z')] as const;
    const first = serialise(shopChangeLog(7, ...day));
    for (let seed = 100; seed < 105; seed++) shopChangeLog(seed, ...day); // evicts seed 7's cached timeline
    expect(serialise(shopChangeLog(7, ...day))).toBe(first);
    expect(DEFAULT_SHOP_OPTIONS.epochMs).toBe(Date.UTC(2024, 0, 1));
  });

  it('has a few hundred changes a day at scale 1, and about twice as many at scale 2', () => {
    const perDay = changes.length / 14;
    expect(perDay).toBeGreaterThan(250);
    expect(perDay).toBeLessThan(800);
    const doubled = shopChangeLog(SEED, from, to, { ...options, scale: 2 }).length / 14;
    expect(doubled / perDay).toBeGreaterThan(1.6);
    expect(doubled / perDay).toBeLessThan(2.4);
  });

  it('commits in strictly increasing time, within the window', () => {
    for (let index = 0; index < changes.length; index++) {
      const ms = changes[index]!.commitTs.getTime();
      expect(ms).toBeGreaterThanOrEqual(from.getTime());
      expect(ms).toBeLessThan(to.getTime());
      if (index > 0) expect(ms).toBeGreaterThanOrEqual(changes[index - 1]!.commitTs.getTime());
    }
    const perKey = new Map<string, number>();
    for (const change of changes) {
      const key = `${keyOf(change)}@${change.commitTs.getTime()}`;
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
    }
    expect([...perKey.values()].every((count) => count === 1)).toBe(true);
  });

  it('flags exactly the rows that break a rule, as a small fraction with every kind present', () => {
    for (const change of changes) expect(brokenRule(change)).toBe(change.malformed);
    const fraction = (changes.length - valid.length) / changes.length;
    expect(fraction).toBeGreaterThan(0.005);
    expect(fraction).toBeLessThan(0.05);
    // Product changes are few (about 6 a day), so look at two months for every kind to show up.
    const twoMonths = shopChangeLog(
      SEED,
      new Date(options.epochUtc),
      new Date('2025-05-01T00:00:00Z'),
      options,
    );
    const kinds = new Set(twoMonths.map((change) => change.malformed).filter(Boolean));
    for (const kind of [
      MalformedReason.customerIdNull,
      MalformedReason.productIdNull,
      MalformedReason.emailNotAddress,
      MalformedReason.priceNegative,
      MalformedReason.statusUnknown,
      MalformedReason.quantityNotPositive,
    ]) {
      expect(kinds).toContain(kind);
    }
  });

  it('has late rows: updated_at older than the key previous change, and only those', () => {
    const history = shopChangeLog(SEED, new Date(options.epochUtc), to, options).filter((c) => !c.malformed);
    const lastUpdatedAt = new Map<string, number>();
    let late = 0;
    let updates = 0;
    for (const change of history) {
      const updatedAt = (change.row as { updated_at?: Date | null }).updated_at?.getTime();
      const key = keyOf(change);
      if (updatedAt !== undefined && change.op === 'U') {
        updates++;
        const previous = lastUpdatedAt.get(key)!;
        expect(updatedAt < previous).toBe(change.late);
        if (change.late) late++;
      }
      if (updatedAt !== undefined) lastUpdatedAt.set(key, updatedAt);
    }
    expect(late / updates).toBeGreaterThan(0.01);
    expect(late / updates).toBeLessThan(0.06);
  });

  it('has deletes, resurrections of deleted keys, no-op updates and several changes of one key a day', () => {
    const history = shopChangeLog(SEED, new Date(options.epochUtc), to, options).filter((c) => !c.malformed);
    const deleted = new Set<string>();
    const lastImage = new Map<string, string>();
    let resurrections = 0;
    let noops = 0;
    for (const change of history) {
      const key = keyOf(change);
      const { updated_at: _ignored, ...business } = change.row as unknown as Record<string, unknown>;
      if (change.resurrection) {
        expect(deleted.has(key)).toBe(true);
        resurrections++;
      }
      if (change.noop) {
        expect(JSON.stringify(business)).toBe(lastImage.get(key));
        noops++;
      }
      if (change.op === 'D') deleted.add(key);
      else deleted.delete(key);
      lastImage.set(key, JSON.stringify(business));
    }
    expect(changes.filter((change) => change.op === 'D').length).toBeGreaterThan(3);
    expect(resurrections).toBeGreaterThan(2);
    expect(noops).toBeGreaterThan(5);

    const customerUpdatesPerDay = new Map<string, number>();
    for (const change of valid) {
      if (change.table !== 'customers' || change.op !== 'U') continue;
      const key = `${keyOf(change)}@${Math.floor(change.commitTs.getTime() / DAY_MS)}`;
      customerUpdatesPerDay.set(key, (customerUpdatesPerDay.get(key) ?? 0) + 1);
    }
    expect([...customerUpdatesPerDay.values()].filter((count) => count >= 2).length).toBeGreaterThan(10);
  });

  it('moves orders through a valid life cycle over the following days', () => {
    const next: Record<string, string[]> = {
      placed: ['paid', 'cancelled'],
      paid: ['shipped', 'cancelled'],
      shipped: ['delivered'],
    };
    const status = new Map<number, string>();
    let spansDays = 0;
    const placedAt = new Map<number, number>();
    for (const change of valid) {
      if (change.table !== 'orders') continue;
      const id = change.row.order_id!;
      if (change.op === 'I') {
        expect(change.row.status).toBe('placed');
        placedAt.set(id, change.commitTs.getTime());
      } else if (status.has(id)) {
        expect(next[status.get(id)!]).toContain(change.row.status);
        if (change.commitTs.getTime() - placedAt.get(id)! > DAY_MS) spansDays++;
      }
      status.set(id, change.row.status!);
    }
    expect(new Set(status.values())).toEqual(
      new Set(['placed', 'paid', 'shipped', 'delivered', 'cancelled']),
    );
    expect(spansDays).toBeGreaterThan(100);
  });

  it('gives a full-load snapshot of valid live rows only, equal to replaying the valid changes', () => {
    const at = new Date('2025-03-25T13:00:00Z');
    const snapshot = shopSnapshotAt(SEED, at, options);
    const live = new Map<string, unknown>();
    for (const change of shopChangeLog(SEED, new Date(options.epochUtc), at, options)) {
      if (change.malformed) continue;
      if (change.op === 'D') live.delete(keyOf(change));
      else live.set(keyOf(change), change.row);
    }
    const snapshotRows = Object.values(snapshot).flat();
    expect(snapshotRows.length).toBe(live.size);
    expect(snapshot.customers.every((row) => row.customer_id !== null && /@/.test(row.email!))).toBe(true);
    const orderIds = new Set(snapshot.orders.map((row) => row.order_id));
    expect(snapshot.order_items.every((item) => orderIds.has(item.order_id))).toBe(true);
    expect(snapshot.customers.map((row) => row.customer_id)).toEqual(
      [...snapshot.customers.map((row) => row.customer_id!)].sort((a, b) => a - b),
    );
  });

  it('rejects bad inputs with the field name', () => {
    expect(() => shopChangeLog(1.5, from, to)).toThrow(/seed must be an integer/);
    expect(() => shopChangeLog(1, new Date('nope'), to)).toThrow(/fromUtc must be a valid Date/);
    expect(() => shopChangeLog(1, from, to, { epochUtc: new Date('2025-03-01T05:00:00Z') })).toThrow(
      /epochUtc must be a UTC midnight/,
    );
    expect(() => shopChangeLog(1, from, to, { malformedRate: 2 })).toThrow(
      /malformedRate must be a fraction/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { evaluateChecks, median } from '../../core/check-evaluation';
import { parseOrThrow } from '../../core/config-errors';
import { pipelineSpecSchema } from '../../core/pipeline-spec';
import { qualityCheckSchema } from '../../core/quality-checks';
import { applyBadDays, parseBadDays } from '../../emulator/sources/bad-days';
import { shopChangeLog } from '../../emulator/sources/shop-simulator';
import { loadPipelines } from '../../pipelines/registry';
import { shopPipeline } from '../../pipelines/shop';

const parse = (c: unknown) => qualityCheckSchema.parse(c);

describe('check declarations', () => {
  it('stop the pipeline with the path of each bad field', () => {
    const stages = structuredClone(shopPipeline.stages);
    const gold = stages.find((s) => s.id === 'fact_orders')!;
    gold.checks = [
      { name: 'orders', kind: 'rowCount' },
      { name: 'orders', kind: 'references', columns: ['customer_id'], table: 'customers' },
    ] as never;
    stages.find((s) => s.id === 'ingest_oltp')!.checks = [{ name: 'x', kind: 'notNull', columns: ['id'] }];
    expect(() => parseOrThrow(pipelineSpecSchema, { ...shopPipeline, stages }, 'pipeline "shop"')).toThrow(
      /stages\[7\]\.checks\[0\]: a rowCount check needs min, max or trailing[\s\S]*stages\[0\]\.checks\[0\]: a dms stage runs no checks[\s\S]*stages\[7\]\.checks\[1\]\.name: duplicate check "orders"[\s\S]*stages\[7\]\.checks\[1\]\.table: "customers" is not an input of this job/,
    );
  });

  it('the shop declares checks on silver, gold and a load', () => {
    const shop = loadPipelines().shop!;
    const declared = shop.stages.filter((s) => s.checks.length > 0).map((s) => s.id);
    expect(declared).toEqual(['silver_orders', 'fact_orders', 'load_fact_orders']);
  });
});

describe('check evaluation', () => {
  it('holds a row count to the trailing median and words the bound', () => {
    const check = parse({ name: 'n', kind: 'rowCount', min: 1, trailing: { days: 7, minRatio: 0.5 } });
    const [low] = evaluateChecks('s', [check], {
      measured: {},
      rowCount: 40,
      trailingCounts: [100, 90, 110],
    });
    expect(low).toMatchObject({
      passed: false,
      measured: 40,
      bound: '>= 1 and >= 50 (0.5 x 7-day median 100)',
    });
    expect(low!.message).toContain('s.n (rowCount, block) FAILED: measured 40');
    const [ok] = evaluateChecks('s', [check], { measured: {}, rowCount: 60, trailingCounts: [100, 90, 110] });
    expect(ok!.passed).toBe(true);
    const [first] = evaluateChecks('s', [check], { measured: {}, rowCount: 3, trailingCounts: [] });
    expect(first!.passed).toBe(true);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('fails a check with nothing measured, and judges ratios and warnings', () => {
    const outcomes = evaluateChecks(
      's',
      [
        parse({ name: 'u', kind: 'unique', columns: ['id'] }),
        parse({ name: 'q', kind: 'quarantineRatio', max: 0.1, severity: 'warn' }),
      ],
      { measured: {}, rowsIn: 100, quarantined: 20 },
    );
    expect(outcomes.map((o) => [o.passed, o.measured, o.severity])).toEqual([
      [false, null, 'block'],
      [false, 0.2, 'warn'],
    ]);
  });
});

describe('bad days of the source simulator', () => {
  const from = new Date('2024-01-03T00:00:00Z');
  const to = new Date('2024-01-05T00:00:00Z');
  const changes = shopChangeLog(7, from, to);
  const ordersOn = (list: typeof changes, date: string) =>
    list.filter(
      (c) => c.table === 'orders' && c.op === 'I' && c.commitTs.toISOString().slice(0, 10) === date,
    );

  it('drop most orders of the date only, and duplicate keys at the same commit', () => {
    const days = parseBadDays('2024-01-03=drop-orders+duplicate-order', 'test');
    const bad = applyBadDays(changes, 'UTC', days);
    expect(ordersOn(bad, '2024-01-03').length).toBeLessThan(ordersOn(changes, '2024-01-03').length / 4);
    expect(ordersOn(bad, '2024-01-04')).toEqual(ordersOn(changes, '2024-01-04'));
    const keys = ordersOn(bad, '2024-01-03').map(
      (c) => `${(c.row as { order_id: number | null }).order_id}@${c.commitTs.toISOString()}`,
    );
    expect(new Set(keys).size).toBeLessThan(keys.length);
  });

  it('refuse an unknown fault with the list of known ones', () => {
    expect(() => parseBadDays('2024-01-03=explode', 'MEDALLION_BAD_DAYS')).toThrow(
      'MEDALLION_BAD_DAYS: unknown fault "explode"; use drop-orders, duplicate-order, stall',
    );
  });
});

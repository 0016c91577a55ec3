import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config-errors';
import type { PipelineSpecInput } from '../../core/pipeline-spec';
import { loadPipelines } from '../../pipelines/registry';
import { shopPipeline } from '../../pipelines/shop';

function issuesOf(spec: PipelineSpecInput): string[] {
  try {
    loadPipelines([spec]);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('pipeline definitions', () => {
  it('accepts the shop pipeline, which uses every stage kind', () => {
    const { shop } = loadPipelines();
    expect(new Set(shop!.stages.map((s) => s.kind))).toEqual(
      new Set(['dms', 'appflow', 'glue', 'emr-serverless', 'scd2', 'load']),
    );
  });

  it('names the path of every bad field and how to fix it', () => {
    const broken: PipelineSpecInput = {
      ...shopPipeline,
      timeZone: 'Mars/Olympus',
      stages: [
        { ...shopPipeline.stages[0]!, timeouts: { startToClose: 'six hours' } },
        { ...shopPipeline.stages[1]!, dependsOn: ['nope'] },
      ],
    };
    const issues = issuesOf(broken);
    expect(issues).toContain('timeZone: use an IANA time zone such as UTC or Europe/Berlin');
    expect(issues).toContain(
      "stages[0].timeouts.startToClose: use a duration like '90s', '15m', '6h' or '2 days'",
    );
    expect(issues).toContain(
      'stages[1].dependsOn[0]: unknown stage "nope"; dependsOn must name stages of this pipeline',
    );
  });

  it('rejects duplicate stage ids and dependency cycles', () => {
    const [a, b] = [shopPipeline.stages[0]!, shopPipeline.stages[1]!];
    expect(issuesOf({ ...shopPipeline, stages: [a, { ...b, id: a.id }] })).toContain(
      `stages[1].id: duplicate stage id "${a.id}"`,
    );
    const cyclic = issuesOf({
      ...shopPipeline,
      stages: [
        { ...a, dependsOn: [b.id] },
        { ...b, dependsOn: [a.id] },
      ],
    });
    expect(cyclic.some((i) => i.startsWith('stages: dependency cycle: '))).toBe(true);
  });

  it('shop: a day whose orders fail a blocking gate loads no warehouse fact (every load waits for those gates)', () => {
    // A drop-orders day (README, "Quality gates") keeps 1 order in 10: fact_orders' volume gate blocks
    // it, and daily_revenue, built from the same silver tables, would still publish a tenth of the
    // revenue if its load did not wait for that gate.
    const { shop } = loadPipelines();
    const byId = new Map(shop!.stages.map((s) => [s.id, s]));
    const upstream = (id: string): Set<string> => {
      const seen = new Set<string>();
      const visit = (stage: string) => {
        for (const dep of byId.get(stage)!.dependsOn ?? []) {
          if (seen.has(dep)) continue;
          seen.add(dep);
          visit(dep);
        }
      };
      visit(id);
      return seen;
    };
    const orderGates = shop!.stages
      .filter((s) => s.id === 'fact_orders' || s.id === 'silver_orders')
      .filter((s) => (s.checks ?? []).some((check) => check.severity === 'block'))
      .map((s) => s.id);
    expect(orderGates).toEqual(['silver_orders', 'fact_orders']);
    for (const load of shop!.stages.filter((s) => s.kind === 'load')) {
      for (const gate of orderGates)
        expect([...upstream(load.id)], `${load.id} waits for ${gate}`).toContain(gate);
    }
  });
});

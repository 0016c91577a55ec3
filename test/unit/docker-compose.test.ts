import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(__dirname, '../..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    { image?: string; ports?: string[]; build?: { context: string }; environment?: Record<string, string> }
  >;
};
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('docker-compose.yml', () => {
  it('runs Temporal on PostgreSQL, the UI and the medallion worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['postgresql', 'temporal', 'temporal-ui', 'worker']);
    expect(compose.services.temporal!.environment!.DB).toBe('postgres12');
    expect(compose.services.worker!.build!.context).toBe('.');
    expect(compose.services['temporal-ui']!.environment!.TEMPORAL_WORKFLOW_START_ENABLED).toBe('true');
  });

  it('pins every image to a version the README documents', () => {
    const images = Object.values(compose.services).flatMap((s) => (s.image ? [s.image] : []));
    expect(images).toHaveLength(3);
    for (const image of images) {
      expect(image).toMatch(/^[\w./-]+:\d+(\.\d+)+$/);
      expect(readme).toContain(image);
    }
  });

  it('publishes the ports the README documents', () => {
    expect(compose.services.temporal!.ports).toEqual(['7233:7233']);
    expect(compose.services['temporal-ui']!.ports).toEqual(['8080:8080']);
    expect(readme).toContain('http://localhost:8080');
    expect(readme).toContain('localhost:7233');
  });
});

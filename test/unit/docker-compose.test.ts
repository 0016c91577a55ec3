/**
 * docker-compose.yml is valid by the Compose Specification's own JSON schema (vendored, see
 * test/support/fixtures/compose-spec/README.md), uses Temporal's supported images in the order they need
 * (schema, then server, then namespace, then worker), and runs the worker image as the Dockerfile
 * builds it. No Docker engine runs here; the image itself is exercised by test/production/.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readDockerfile } from '../support/production/dockerfile';

const root = path.resolve(__dirname, '../..');
const schema = JSON.parse(
  readFileSync(path.join(root, 'test/support/fixtures/compose-spec/compose-spec.json'), 'utf8'),
) as object;

interface Service {
  image?: string;
  ports?: string[];
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  volumes?: string[];
  entrypoint?: string[];
  healthcheck?: { disable?: boolean; test?: string[] };
  depends_on?: Record<string, { condition: string }>;
}
const text = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(text) as { services: Record<string, Service> };
const services = compose.services;
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

function validate(document: unknown): ErrorObject[] {
  // The schema is draft-07 with a few `format`s ajv does not know; formats are not what this checks.
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  // It names draft-07 by its https id; ajv knows the same meta-schema under its http id.
  ajv.addMetaSchema({ ...draft07, $id: (schema as { $schema: string }).$schema });
  const check = ajv.compile(schema);
  return check(document) ? [] : (check.errors ?? []);
}

function tag(image: string): string {
  return image.slice(image.lastIndexOf(':') + 1);
}

describe('docker-compose.yml', () => {
  it('is valid by the Compose Specification schema', () => {
    expect(validate(compose)).toEqual([]);
  });

  it('would be caught by that schema if it were not (a misspelt key, a wrong type)', () => {
    expect(validate({ ...compose, servics: {} }).length).toBeGreaterThan(0);
    const broken = structuredClone(compose);
    (broken.services.temporal as unknown as { ports: unknown }).ports = { published: 7233 };
    expect(validate(broken).length).toBeGreaterThan(0);
  });

  it("runs Temporal's supported images: the server, with admin-tools setting up the schema", () => {
    const images = Object.values(services).flatMap((s) => (s.image ? [s.image] : []));
    expect(images.some((i) => i.includes('auto-setup'))).toBe(false);
    const server = services.temporal!.image!;
    expect(server).toMatch(/^temporalio\/server:\d+\.\d+\.\d+$/);
    // Schema and tools of the server's own release.
    for (const tool of ['temporal-schema', 'temporal-namespace']) {
      expect(services[tool]!.image).toBe(`temporalio/admin-tools:${tag(server)}`);
    }
    for (const image of images) expect(image).toMatch(/^[\w./-]+:v?\d+(\.\d+)+$/);
  });

  it('starts each part once the one before is ready: schema, server, namespace, then the worker', () => {
    expect(services['temporal-schema']!.depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(services.temporal!.depends_on).toEqual({
      'temporal-schema': { condition: 'service_completed_successfully' },
    });
    expect(services['temporal-namespace']!.depends_on).toEqual({
      temporal: { condition: 'service_healthy' },
    });
    expect(services.worker!.depends_on).toEqual({
      'temporal-namespace': { condition: 'service_completed_successfully' },
    });
    expect(services.temporal!.environment!.DB).toBe('postgres12');
  });

  it('mounts setup scripts and files that exist in the repository', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('./')) continue;
        expect(existsSync(path.join(root, source)), `${name}: ${source}`).toBe(true);
      }
      const script = service.entrypoint?.at(-1);
      if (script?.startsWith('/medallion/')) {
        const file = path.join(root, 'docker/temporal', script.slice('/medallion/'.length));
        expect(statSync(file).isFile(), `${name}: ${file}`).toBe(true);
      }
    }
  });

  it("builds the worker from the Dockerfile and matches the image's user, config and health port", () => {
    const worker = services.worker!;
    const image = readDockerfile();
    expect(worker.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    expect(worker.healthcheck?.disable).not.toBe(true);
    // The AWS config goes to the home of the user the image runs as.
    expect(image.user).toBe('node');
    expect(worker.volumes).toContain('${HOME}/.aws:/home/node/.aws:ro');
    const configDir = worker.volumes!.find((v) => v.startsWith('./config:'))!.split(':')[1]!;
    expect(worker.environment!.MEDALLION_CONFIG!.startsWith(`${configDir}/`)).toBe(true);
    expect(worker.ports).toContain(
      `${image.env.MEDALLION_MONITORING_PORT}:${image.env.MEDALLION_MONITORING_PORT}`,
    );
    expect(worker.environment!.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it("has Prometheus scrape the worker's two metrics ports, and Grafana show the repository's dashboard", () => {
    const image = readDockerfile();
    const prometheus = parse(readFileSync(path.join(root, 'docker/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = prometheus.scrape_configs
      .flatMap((c) => c.static_configs.flatMap((s) => s.targets))
      .sort();
    expect(targets).toEqual(
      [
        `worker:${image.env.MEDALLION_MONITORING_PORT}`,
        `worker:${image.env.MEDALLION_SDK_METRICS_PORT}`,
      ].sort(),
    );
    expect(services.prometheus!.volumes).toContain(
      './docker/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
    const datasource = readFileSync(
      path.join(root, 'docker/grafana/provisioning/datasources/prometheus.yml'),
      'utf8',
    );
    expect(datasource).toContain('url: http://prometheus:9090');
    const provider = parse(
      readFileSync(path.join(root, 'docker/grafana/provisioning/dashboards/medallion.yml'), 'utf8'),
    ) as {
      providers: { options: { path: string } }[];
    };
    expect(services.grafana!.volumes).toContain(
      `./docker/grafana/dashboards:${provider.providers[0]!.options.path}:ro`,
    );
  });

  it('publishes the ports and images the README documents', () => {
    expect(services.temporal!.ports).toEqual(['7233:7233']);
    expect(services['temporal-ui']!.ports).toEqual(['8080:8080']);
    expect(services['temporal-ui']!.environment!.TEMPORAL_WORKFLOW_START_ENABLED).toBe('true');
    for (const image of Object.values(services).flatMap((s) => (s.image ? [s.image] : []))) {
      expect(readme).toContain(image);
    }
    expect(readme).toContain('http://localhost:8080');
    expect(readme).toContain('localhost:7233');
  });
});

/**
 * The worker image, read from its Dockerfile: the files it copies are the smoke test's, everything the
 * worker imports at run time is among them, its production dependencies are exactly the packages the
 * worker imports, it runs as an unprivileged user, loads the bundle built at image build, and checks
 * its health.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDockerfile, ROOT } from '../support/production/dockerfile';
import { IMAGE_FILES } from '../support/production/image-files';
import { importGraph } from '../support/production/import-graph';

const image = readDockerfile();
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

/** What the image runs: its command's script, the bundle build, and the workflows the bundle holds. */
function runtimeEntries(): string[] {
  const scripts = [...image.cmd, ...image.runs.flatMap((r) => r.split(/\s+/))].filter((w) => /\.ts$/.test(w));
  expect(scripts).toContain('workers/main.ts');
  expect(scripts).toContain('workers/build-workflow-bundle.ts');
  return [...scripts, 'workflows/index.ts'].map((s) => path.join(ROOT, s));
}

describe('the worker image (Dockerfile)', () => {
  it('copies exactly the files the production smoke test copies', () => {
    expect([...image.copies].sort()).toEqual([...IMAGE_FILES].sort());
  });

  it('holds every file the worker, the bundle build and the workflows import', () => {
    const outside = [...importGraph(runtimeEntries()).files]
      .map((f) => path.relative(ROOT, f))
      .filter((f) => !IMAGE_FILES.some((copied) => f === copied || f.startsWith(`${copied}/`)));
    expect(outside).toEqual([]);
  });

  it('installs as production dependencies exactly the packages the worker imports, and tsx to run it', () => {
    const imported = importGraph(runtimeEntries()).packages;
    // tsx is not imported: it is the image's command, which runs the TypeScript sources.
    expect(image.cmd[0]).toBe('node_modules/.bin/tsx');
    expect(Object.keys(pkg.dependencies).sort()).toEqual([...imported, 'tsx'].sort());
    expect(image.runs).toContain('npm ci --omit=dev --no-audit --no-fund --loglevel=error');
  });

  it('builds the workflow bundle at image build and points the worker at it', () => {
    const build = image.runs.find((r) => r.includes('workers/build-workflow-bundle.ts'));
    const output = build?.split(/\s+/).at(-1);
    expect(output).toBe('dist/workflow-bundle.js');
    expect(image.env.MEDALLION_WORKFLOW_BUNDLE).toBe(`/app/${output}`);
  });

  it('runs as an unprivileged user and has a health check on the port it exposes', () => {
    expect(image.user).toBeDefined();
    expect(['root', '0']).not.toContain(image.user);
    expect(image.healthcheck.join(' ')).toContain('/healthz');
    expect(image.healthcheck.join(' ')).toContain('MEDALLION_MONITORING_PORT');
    expect(image.env.MEDALLION_MONITORING_PORT).toMatch(/^\d+$/);
  });
});

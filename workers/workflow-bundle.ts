/**
 * The workflow bundle: every workflow in workflows/index.ts, bundled by the Temporal SDK (webpack).
 * The image builds it once (`tsx workers/build-workflow-bundle.ts <file>`) and the worker loads that
 * file with `workflowBundle`, so a worker start does not pay for webpack and every replica runs the
 * same code; the replay tests replay the recorded histories against a bundle built by this function.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

export const WORKFLOWS_PATH = path.resolve(__dirname, '../workflows/index.ts');

/** Webpack's INFO lines are noise in a build log or test output; warnings and errors still show. */
const quietBundlerLogger = {
  trace() {},
  debug() {},
  info() {},
  log() {},
  warn: (message: string) => process.stderr.write(`${message}\n`),
  error: (message: string) => process.stderr.write(`${message}\n`),
};

export function buildWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
}

/** Builds the bundle and writes its code to `file` (the worker loads it with `{ codePath }`). */
export async function writeWorkflowBundle(file: string): Promise<{ codePath: string; bytes: number }> {
  const { code } = await buildWorkflowBundle();
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, code);
  return { codePath: path.resolve(file), bytes: Buffer.byteLength(code) };
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { buildWorkflowBundle, writeWorkflowBundle } from '../workers/workflow-bundle';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
let imageBundle: Promise<{ codePath: string }> | undefined;

/** The production workflow bundle, built once per test file (webpack is slow on 2 cores). */
export function productionWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= buildWorkflowBundle();
  return bundle;
}

/**
 * The bundle as the worker image holds it: written to a file by the image's build step
 * (workers/build-workflow-bundle.ts) and loaded from that file, as the image's worker loads it.
 */
export function imageWorkflowBundle(): Promise<{ codePath: string }> {
  imageBundle ??= writeWorkflowBundle(
    path.join(mkdtempSync(path.join(tmpdir(), 'medallion-bundle-')), 'workflow-bundle.js'),
  ).then(({ codePath }) => ({ codePath }));
  return imageBundle;
}

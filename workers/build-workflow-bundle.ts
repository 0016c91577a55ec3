/**
 * `tsx workers/build-workflow-bundle.ts <file>`: writes the workflow bundle, as the image does at
 * build time. Point the worker at it with MEDALLION_WORKFLOW_BUNDLE=<file>.
 */
import { writeWorkflowBundle } from './workflow-bundle';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file)
    throw new Error(
      'usage: tsx workers/build-workflow-bundle.ts <output file, e.g. dist/workflow-bundle.js>',
    );
  const started = Date.now();
  const { codePath, bytes } = await writeWorkflowBundle(file);
  process.stdout.write(
    `workflow bundle: ${codePath} (${(bytes / 1024).toFixed(0)} KiB) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

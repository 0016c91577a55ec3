/**
 * The production workflow bundle with one source file edited on the way into webpack: how the replay
 * tests prove they catch a workflow change that breaks recorded histories (and that patched() fixes it).
 * Nothing is written to the working tree; the edit lives in webpack's input file system only.
 */
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

export interface SourceEdit {
  /** Path from the repository root, e.g. 'workflows/run-dag.ts'. */
  file: string;
  /** Exact text that must occur in the file (once or more); every occurrence is replaced. */
  search: string;
  replace: string;
}

type ReadFileCallback = (error: NodeJS.ErrnoException | null, data?: Buffer | string) => void;
interface InputFileSystem {
  readFile(file: string, ...rest: unknown[]): void;
}
interface WebpackCompiler {
  inputFileSystem: InputFileSystem | null;
  hooks: { beforeRun: { tap(name: string, fn: (compiler: WebpackCompiler) => void): void } };
}

const REPO = path.resolve(__dirname, '../../..');

/** Wraps webpack's input file system (set just before the run) so reads of the edited files change. */
function editSourcesPlugin(edits: SourceEdit[]) {
  const byPath = new Map(edits.map((e) => [path.join(REPO, e.file), e]));
  const applied = new Set<string>();
  return {
    applied,
    apply(compiler: WebpackCompiler) {
      compiler.hooks.beforeRun.tap('medallion-edit-sources', (c) => {
        const fs = c.inputFileSystem!;
        const readFile = fs.readFile.bind(fs);
        fs.readFile = (file: string, ...rest: unknown[]) => {
          const edit = byPath.get(file);
          const callback = rest[rest.length - 1] as ReadFileCallback;
          if (!edit) return readFile(file, ...rest);
          readFile(file, (error: NodeJS.ErrnoException | null, data?: Buffer | string) => {
            if (error || data === undefined) return callback(error);
            const source = data.toString();
            if (!source.includes(edit.search)) {
              return callback(
                new Error(
                  `${edit.file} no longer contains ${JSON.stringify(edit.search)}: update the edit in the replay test`,
                ),
              );
            }
            applied.add(edit.file);
            callback(null, Buffer.from(source.split(edit.search).join(edit.replace)));
          });
        };
      });
    },
  };
}

/** Builds the production workflows with `edits` applied; fails if an edit did not reach its file. */
export async function mutatedWorkflowBundle(edits: SourceEdit[]): Promise<WorkflowBundleWithSourceMap> {
  const plugin = editSourcesPlugin(edits);
  const bundle = await bundleWorkflowCode({
    workflowsPath: path.join(REPO, 'workflows/index.ts'),
    webpackConfigHook: (config) => ({ ...config, plugins: [...(config.plugins ?? []), plugin] }),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  const missing = edits.filter((e) => !plugin.applied.has(e.file)).map((e) => e.file);
  if (missing.length > 0) throw new Error(`the bundle never read ${missing.join(', ')}`);
  return bundle;
}

import { spawnSync } from 'node:child_process';
import {
  isPythonToolProvisioned,
  pythonToolBin,
  pythonToolDir,
  type PythonTool,
} from '../../../local/python-tools';
import { toolchainAvailable } from '../toolchain';

/**
 * The tool's python, or undefined (the tier skips) when it is not provisioned on a developer machine.
 * Under CI=true a missing tool fails the test file (test/support/toolchain.ts).
 */
export function pythonForTier(tool: PythonTool): string | undefined {
  const missing = isPythonToolProvisioned(tool)
    ? undefined
    : `${tool.name} is not provisioned in ${pythonToolDir(tool)}; run \`npm run provision\` (npm test does it first)`;
  return toolchainAvailable('python', missing) ? pythonToolBin(tool) : undefined;
}

/** Runs a Python script of the tool's venv with JSON on stdin; returns its parsed JSON stdout. */
export function runPythonJson<T>(python: string, script: string, input: unknown, timeoutMs = 60_000): T {
  const result = spawnSync(python, ['-B', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: timeoutMs,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${script} exited with ${result.status}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

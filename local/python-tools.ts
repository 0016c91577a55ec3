/**
 * Pinned Python tools the tests use as independent references (PySpark, moto, cfn-lint), each in a
 * virtual environment of its own under the user cache, installed from PyPI on first use. A venv
 * records its own path in its scripts, so it is built in place and marked complete only at the end:
 * an interrupted install is rebuilt, never used half-done.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from './temporal-binaries';

export interface PythonTool {
  /** Directory name under the cache; includes the pinned version so a bump installs afresh. */
  readonly name: string;
  /** pip requirement specifiers, pinned (`pkg==1.2.3`). */
  readonly requirements: readonly string[];
}

/**
 * The Spark of AWS Glue 5.0 (Spark 3.5.4, Python 3.11, Java 17; EMR 7.x also runs Spark 3.5), with the
 * boto3 the job script uses for its own S3 calls: the reference for jobs/sql_runner.py (test/python/spark-runner.test.ts).
 */
export const PYSPARK_TOOL: PythonTool = {
  name: 'pyspark-3.5.4',
  requirements: ['pyspark==3.5.4', 'boto3==1.43.11'],
};

/** sqlglot's Redshift dialect parses every generated warehouse statement (test/sql/redshift-rules). */
export const SQLGLOT_TOOL: PythonTool = { name: 'sqlglot-30.30.0', requirements: ['sqlglot==30.30.0'] };

/**
 * moto, an AWS mock kept by others, as a second backend for the activities (test/python/moto-*.test.ts). boto3 and
 * botocore are pinned too: moto builds its responses from botocore's service models.
 */
export const MOTO_TOOL: PythonTool = {
  name: 'moto-5.2.1',
  requirements: ['moto[server]==5.2.1', 'boto3==1.43.11', 'botocore==1.43.11'],
};

/** Lints the CDK app's synthesized CloudFormation templates (test/python/cfn-lint.test.ts). */
export const CFN_LINT_TOOL: PythonTool = { name: 'cfn-lint-1.58.0', requirements: ['cfn-lint==1.58.0'] };

/** Every Python tool `npm test` needs; provision.ts installs each. */
export const PYTHON_TOOLS: readonly PythonTool[] = [PYSPARK_TOOL, SQLGLOT_TOOL, MOTO_TOOL, CFN_LINT_TOOL];

const COMPLETE_MARKER = '.medallion-complete';

export function pythonToolDir(tool: PythonTool): string {
  return join(cacheRoot(), `python-${tool.name}`);
}

/** An executable of the tool's venv (`python`, `moto_server`, `cfn-lint`, ...). */
export function pythonToolBin(tool: PythonTool, executable = 'python'): string {
  return join(pythonToolDir(tool), 'bin', executable);
}

export function isPythonToolProvisioned(tool: PythonTool): boolean {
  return existsSync(join(pythonToolDir(tool), COMPLETE_MARKER));
}

export class PythonToolError extends Error {}

/** Creates the tool's venv and installs its pinned requirements, unless already complete. */
export function provisionPythonTool(tool: PythonTool, log: (message: string) => void): void {
  if (isPythonToolProvisioned(tool)) return;
  const dir = pythonToolDir(tool);
  log(`python: installing ${tool.requirements.join(' ')} into ${dir} (first run only)...`);
  const started = Date.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(cacheRoot(), { recursive: true });
  try {
    runOrThrow(
      'python3',
      ['-m', 'venv', dir],
      'Install Python 3.11 with its venv module (apt-get install python3-venv).',
    );
    runOrThrow(
      join(dir, 'bin', 'python'),
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-q', ...tool.requirements],
      'Check that PyPI (or your pip.conf index) is reachable.',
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  writeFileSync(join(dir, COMPLETE_MARKER), `${tool.requirements.join('\n')}\n`);
  log(`python: ${tool.name} installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function runOrThrow(command: string, args: string[], fix: string): void {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error)
    throw new PythonToolError(`${command} could not be run (${result.error.message}). ${fix}`);
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout}${result.stderr}`);
    throw new PythonToolError(`\`${command} ${args.join(' ')}\` exited with ${result.status}. ${fix}`);
  }
}

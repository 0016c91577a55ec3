import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toolchainAvailable } from '../support/toolchain';

/**
 * jobs/sql_runner.py needs Spark to run; its Spark-free parts (argument handling, placeholder
 * substitution) are exercised here with plain python3, with Glue's awsglue module stubbed.
 */
const python = toolchainAvailable(
  'python',
  spawnSync('python3', ['--version']).status === 0
    ? undefined
    : 'python3 is not on PATH (install Python 3.11)',
)
  ? 'python3'
  : undefined;
const jobsDir = join(__dirname, '..', '..', 'jobs');

function runPython(body: string): unknown {
  const script = [
    'import json, sys, types',
    `sys.path.insert(0, ${JSON.stringify(jobsDir)})`,
    'utils = types.ModuleType("awsglue.utils")',
    'def getResolvedOptions(argv, names):',
    '    return {name: argv[argv.index("--" + name) + 1] for name in names}',
    'utils.getResolvedOptions = getResolvedOptions',
    'sys.modules["awsglue"] = types.ModuleType("awsglue")',
    'sys.modules["awsglue.utils"] = utils',
    'import sql_runner',
    'def attempt(fn, *args):',
    '    try:',
    '        return {"ok": fn(*args)}',
    '    except Exception as error:',
    '        return {"error": str(error)}',
    body,
  ].join('\n');
  return JSON.parse(execFileSync(python!, ['-B', '-c', script], { encoding: 'utf8' })) as unknown;
}

const manifest = {
  pipeline: 'shop',
  stageId: 'silver_orders',
  logicalDate: '2025-03-30',
  inputs: [],
  sql: 'SELECT 1',
  outputUri: 's3://lake/silver/orders/dt=2025-03-30/',
  quarantineUri: 's3://lake/quarantine/silver_orders/dt=2025-03-30/',
  metricsUri: 's3://lake/_medallion/metrics/shop/2025-03-30/silver_orders.json',
};

describe.skipIf(!python)('jobs/sql_runner.py (Spark-free parts)', () => {
  it('reads the manifest from --manifest (EMR Serverless) and --medallion_manifest (Glue)', () => {
    const text = JSON.stringify(JSON.stringify(manifest));
    const result = runPython(
      `print(json.dumps([
  sql_runner.read_manifest(["main.py", "--manifest", ${text}]),
  sql_runner.read_manifest(["script.py", "--JOB_ID", "j_1", "--medallion_manifest", ${text}]),
  attempt(sql_runner.read_manifest, ["main.py", "--manifest", json.dumps({"stageId": "x"})]),
  attempt(sql_runner.read_manifest, ["main.py", "--manifest"]),
]))`,
    );
    expect(result).toEqual([
      manifest,
      manifest,
      {
        error:
          'manifest lacks pipeline, logicalDate, inputs, sql, outputUri, quarantineUri, metricsUri (see core/job-manifest.ts)',
      },
      { error: '--manifest must be followed by the manifest JSON' },
    ]);
  });

  it('substitutes ${logical_date} like the DuckDB runner and refuses other placeholders', () => {
    const result = runPython(
      `print(json.dumps([
  sql_runner.substitute("SELECT DATE '\${logical_date}' AS dt, '\${logical_date}' AS d2; ", "2025-03-30"),
  attempt(sql_runner.substitute, "SELECT '\${time_zone}'", "2025-03-30"),
  sql_runner.split_s3("s3://lake/_medallion/metrics/shop/2025-03-30/x.json"),
]))`,
    );
    expect(result).toEqual([
      "SELECT DATE '2025-03-30' AS dt, '2025-03-30' AS d2",
      { error: 'unresolved placeholder ${time_zone}; only ${logical_date} is substituted' },
      ['lake', '_medallion/metrics/shop/2025-03-30/x.json'],
    ]);
  });
});

/**
 * The synthesized template passes cfn-lint (PyPI, pinned in local/python-tools.ts and installed by
 * `npm test`'s provisioning). Where it could not be installed the test is skipped, except under CI
 * (test/support/toolchain.ts).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CFN_LINT_TOOL, isPythonToolProvisioned, pythonToolBin } from '../../local/python-tools';
import { synthesize } from '../support/production/synth';
import { toolchainAvailable } from '../support/toolchain';

const cfnLint = CFN_LINT_TOOL;
const available = toolchainAvailable(
  'python (cfn-lint)',
  isPythonToolProvisioned(cfnLint)
    ? undefined
    : `cfn-lint is not installed in ${pythonToolBin(cfnLint, 'cfn-lint')}: run \`npm run provision\``,
);

describe('cfn-lint', () => {
  it.runIf(available)('finds no error or warning in the synthesized template', () => {
    const { templateFile } = synthesize();
    const result = spawnSync(
      pythonToolBin(cfnLint, 'cfn-lint'),
      ['--format', 'parseable', '--', templateFile],
      {
        encoding: 'utf8',
      },
    );
    // Exit code bits: 2 errors, 4 warnings, 8 informational (cfn-lint README, "Exit Codes").
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });

  it.runIf(available)('would report a broken template (the check can fail)', () => {
    const { templateFile } = synthesize();
    const broken = `${templateFile}.broken.json`;
    const template = JSON.parse(readFileSync(templateFile, 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const job = Object.values(template.Resources).find((r) => r.Type === 'AWS::Glue::Job')!;
    job.Properties.MaxRetries = 'never';
    writeFileSync(broken, JSON.stringify(template));
    const result = spawnSync(pythonToolBin(cfnLint, 'cfn-lint'), ['--', broken], { encoding: 'utf8' });
    expect(result.status! & 2).toBe(2);
  });
});

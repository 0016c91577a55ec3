/**
 * infra/app.ts as the CDK CLI runs it (`cdk synth` passes context and the output folder through
 * CDK_CONTEXT_JSON and CDK_OUTDIR): it synthesizes with the team's DMS tasks and AppFlow flows, and
 * without them stops with the context key to set.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

function synth(context: Record<string, string>) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'medallion-cdk-app-'));
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.resolve(__dirname, '../../infra/app.ts')],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify(context),
        CDK_OUTDIR: outdir,
        CDK_DEFAULT_ACCOUNT: '123456789012',
        CDK_DEFAULT_REGION: 'eu-central-1',
      },
    },
  );
  return { ...result, outdir };
}

describe('infra/app.ts', () => {
  it('synthesizes the stack from the context a team passes with -c', () => {
    const result = synth({
      dmsTasks: '{"shop_cdc":"arn:aws:dms:eu-central-1:123456789012:task:ABC"}',
      appflowFlows: '{"crm_accounts":"crm-accounts-to-s3"}',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(existsSync(path.join(result.outdir, 'Medallion.template.json'))).toBe(true);
  });

  it('names the context key and an example when the DMS tasks are missing', () => {
    const result = synth({ appflowFlows: '{"crm_accounts":"crm-accounts-to-s3"}' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      "set the CDK context dmsTasks to a JSON object of strings, e.g. -c dmsTasks='",
    );
  });
});

describe('the DMS tasks it is given', () => {
  it('must be replication task ARNs, and a bad one is named with the fix', () => {
    const result = synth({
      dmsTasks: '{"shop_cdc":"SHOPCDC"}',
      appflowFlows: '{"crm_accounts":"crm-accounts-to-s3"}',
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      `dmsTasks.shop_cdc is "SHOPCDC": give the replication task's ARN (arn:aws:dms:<region>:<account>:task:<id>`,
    );
  });
});

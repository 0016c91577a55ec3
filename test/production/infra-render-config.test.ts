/**
 * The stack's outputs produce the worker's config/medallion.yaml: each output, resolved as
 * CloudFormation would after a deploy, is rendered by infra/render-config.ts (run as a user runs it,
 * on a `cdk deploy --outputs-file` file) into a YAML file the worker loads.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWorkerConfigFile } from '../../workers/config';
import { EXAMPLE_DMS_TASKS, EXAMPLE_FLOWS, synthesize } from '../support/production/synth';

const ACCOUNT = '123456789012';
const REGION = 'eu-central-1';
const { template } = synthesize();
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties?: Record<string, unknown> }
>;

/** A value as CloudFormation resolves it after a deploy, with made-up physical ids. */
function resolve(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if ('Ref' in node) {
    const ref = node.Ref as string;
    const pseudo: Record<string, string> = {
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (pseudo[ref]) return pseudo[ref];
    // Ref of a topic is its ARN (AWS::SNS::Topic return values).
    if (resources[ref]?.Type === 'AWS::SNS::Topic') return `arn:aws:sns:${REGION}:${ACCOUNT}:${ref}`;
    const props = resources[ref]?.Properties ?? {};
    const named = props.Name ?? props.WorkgroupName ?? props.NamespaceName;
    return typeof named === 'string' ? named : `${ref.toLowerCase()}-physical`;
  }
  if ('Fn::GetAtt' in node) {
    const [id, attribute] = node['Fn::GetAtt'] as [string, string];
    if (attribute === 'Arn') return `arn:aws:iam::${ACCOUNT}:role/${id}`;
    return `${id.toLowerCase()}-${attribute.toLowerCase()}`;
  }
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(resolve).join(separator);
  }
  if ('Fn::Sub' in node) {
    return (node['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_, name: string) => resolve({ Ref: name }));
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

function deployedOutputs(): Record<string, string> {
  const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
  return Object.fromEntries(Object.entries(outputs).map(([key, { Value }]) => [key, resolve(Value)]));
}

describe('infra/render-config.ts', () => {
  it("renders the deployed stack's outputs into a config the worker loads", () => {
    const outputs = deployedOutputs();
    const dir = mkdtempSync(path.join(tmpdir(), 'medallion-render-'));
    const outputsFile = path.join(dir, 'cdk-outputs.json');
    writeFileSync(outputsFile, JSON.stringify({ Medallion: outputs }));
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.resolve(__dirname, '../../infra/render-config.ts'), outputsFile],
      { encoding: 'utf8' },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const configFile = path.join(dir, 'medallion.yaml');
    writeFileSync(configFile, result.stdout);

    const { environment } = loadWorkerConfigFile(configFile, {});
    expect(environment).toMatchObject({
      region: REGION,
      lakeBucket: outputs.LakeBucketName,
      glue: { sqlRunnerJob: 'medallion-sql-runner', crawlers: { silver: 'medallion-silver' } },
      emrServerless: {
        applicationId: outputs.EmrApplicationId,
        executionRoleArn: outputs.EmrExecutionRoleArn,
        entryPoint: outputs.SqlRunnerScriptUri,
      },
      dms: { tasks: EXAMPLE_DMS_TASKS },
      appflow: { flows: EXAMPLE_FLOWS },
      warehouse: {
        dialect: 'redshift',
        database: 'analytics',
        workgroupName: 'medallion',
        copyRoleArn: outputs.RedshiftCopyRoleArn,
      },
      alerts: { topicArn: outputs.AlertsTopicArn },
    });
    expect(environment.alerts?.topicArn).toMatch(/^arn:aws:sns:eu-central-1:123456789012:Alerts/);
    expect(environment.emrServerless.entryPoint).toMatch(/^s3:\/\/.+\.py$/);
  });

  it('names the outputs it lacks', () => {
    const { LakeBucketName: _dropped, ...rest } = deployedOutputs();
    const dir = mkdtempSync(path.join(tmpdir(), 'medallion-render-'));
    const outputsFile = path.join(dir, 'cdk-outputs.json');
    writeFileSync(outputsFile, JSON.stringify({ Medallion: rest }));
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.resolve(__dirname, '../../infra/render-config.ts'), outputsFile],
      { encoding: 'utf8' },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the stack outputs lack LakeBucketName');
  });
});

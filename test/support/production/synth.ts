/**
 * The CDK app synthesized offline, once per test file: the stack of infra/ with example DMS tasks
 * and AppFlow flows, into a temporary cloud assembly (the SQL runner is a plain file asset: no
 * Docker, no bundling, no AWS account).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MedallionStack } from '../../../infra/medallion-stack';

export const EXAMPLE_DMS_TASKS = { shop_cdc: 'arn:aws:dms:eu-central-1:123456789012:task:SHOPCDCEXAMPLE' };
export const EXAMPLE_FLOWS = { crm_accounts: 'crm-accounts-to-s3' };

export interface Synthesized {
  stack: MedallionStack;
  template: Template;
  /** The CloudFormation template file as `cdk synth` writes it. */
  templateFile: string;
}

let synthesized: Synthesized | undefined;

export function synthesize(): Synthesized {
  if (synthesized) return synthesized;
  const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'medallion-cdk-')) });
  const stack = new MedallionStack(app, 'Medallion', {
    env: { account: '123456789012', region: 'eu-central-1' },
    dmsTasks: EXAMPLE_DMS_TASKS,
    appflowFlows: EXAMPLE_FLOWS,
  });
  const assembly = app.synth();
  synthesized = {
    stack,
    template: Template.fromStack(stack),
    templateFile: assembly.getStackByName(stack.stackName).templateFullPath,
  };
  return synthesized;
}

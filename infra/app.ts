/**
 * The CDK app: `npx cdk deploy -c dmsTasks='{"shop_cdc":"arn:aws:dms:...:task:..."}' \
 *   -c appflowFlows='{"crm_accounts":"crm-accounts-to-s3"}' --outputs-file cdk-outputs.json`
 * (from infra/, with infra/cdk.json), then `npx tsx infra/render-config.ts infra/cdk-outputs.json >
 * config/medallion.yaml`.
 */
import { App } from 'aws-cdk-lib';
import { MedallionStack } from './medallion-stack';

function jsonContext(app: App, key: string, example: string): Record<string, string> {
  const value: unknown = app.node.tryGetContext(key);
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (!parsed || typeof parsed !== 'object' || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new Error(`set the CDK context ${key} to a JSON object of strings, e.g. -c ${key}='${example}'`);
  }
  return parsed as Record<string, string>;
}

const app = new App();
const stackName: unknown = app.node.tryGetContext('stackName');
// `-c alertEmails=ops@example.com,data@example.com`: addresses subscribed to the alerts topic.
const alertEmails: unknown = app.node.tryGetContext('alertEmails');
new MedallionStack(app, typeof stackName === 'string' ? stackName : 'Medallion', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  dmsTasks: jsonContext(app, 'dmsTasks', '{"shop_cdc":"arn:aws:dms:eu-central-1:123456789012:task:ABC"}'),
  appflowFlows: jsonContext(app, 'appflowFlows', '{"crm_accounts":"crm-accounts-to-s3"}'),
  ...(typeof alertEmails === 'string' && alertEmails.trim()
    ? { alertEmails: alertEmails.split(',').map((email) => email.trim()) }
    : {}),
});
app.synth();

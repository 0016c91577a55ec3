/**
 * The worker's config/medallion.yaml from the stack's outputs, as `cdk deploy --outputs-file` writes
 * them: `npx tsx infra/render-config.ts cdk-outputs.json [stack name] > config/medallion.yaml`.
 * The result is validated as the worker validates it at start.
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { parseWorkerConfig, type WorkerConfigInput } from '../workers/config';

/** Every output the config needs; a missing one names the stack output to look for. */
const REQUIRED = [
  'Region',
  'LakeBucketName',
  'GlueSqlRunnerJob',
  'GlueSilverCrawler',
  'EmrApplicationId',
  'EmrExecutionRoleArn',
  'SqlRunnerScriptUri',
  'DmsTasks',
  'AppflowFlows',
  'RedshiftDatabase',
  'RedshiftWorkgroupName',
  'RedshiftCopyRoleArn',
  'AlertsTopicArn',
] as const;

export type StackOutputs = Record<(typeof REQUIRED)[number], string>;

export interface RenderOptions {
  /** The environment's name for people (`prod`, `staging`). */
  name?: string;
  temporalAddress?: string;
  /** The Temporal UI's base URL, which alert messages link runs to. */
  temporalUiUrl?: string;
}

export function workerConfigFromOutputs(
  outputs: Record<string, string>,
  options: RenderOptions = {},
): WorkerConfigInput {
  const missing = REQUIRED.filter((key) => !outputs[key]);
  if (missing.length > 0) {
    throw new Error(
      `the stack outputs lack ${missing.join(', ')}: deploy infra/ (MedallionStack) with --outputs-file`,
    );
  }
  const o = outputs as StackOutputs;
  const config: WorkerConfigInput = {
    temporal: {
      address: options.temporalAddress ?? 'temporal:7233',
      namespace: 'default',
      taskQueue: 'medallion',
    },
    environment: {
      name: options.name ?? 'prod',
      region: o.Region,
      lakeBucket: o.LakeBucketName,
      glue: { sqlRunnerJob: o.GlueSqlRunnerJob, crawlers: { silver: o.GlueSilverCrawler } },
      emrServerless: {
        applicationId: o.EmrApplicationId,
        executionRoleArn: o.EmrExecutionRoleArn,
        entryPoint: o.SqlRunnerScriptUri,
      },
      dms: { tasks: JSON.parse(o.DmsTasks) as Record<string, string> },
      appflow: { flows: JSON.parse(o.AppflowFlows) as Record<string, string> },
      alerts: {
        topicArn: o.AlertsTopicArn,
        ...(options.temporalUiUrl ? { temporalUiUrl: options.temporalUiUrl } : {}),
      },
      warehouse: {
        dialect: 'redshift',
        database: o.RedshiftDatabase,
        workgroupName: o.RedshiftWorkgroupName,
        copyRoleArn: o.RedshiftCopyRoleArn,
      },
    },
  };
  parseWorkerConfig(config, 'the config rendered from the stack outputs', {});
  return config;
}

export function renderWorkerConfigYaml(outputs: Record<string, string>, options: RenderOptions = {}): string {
  return (
    '# Rendered by infra/render-config.ts from the MedallionStack outputs; see config/aws.example.yaml.\n' +
    stringify(workerConfigFromOutputs(outputs, options))
  );
}

function main(): void {
  const [file, stackName] = process.argv.slice(2);
  if (!file) throw new Error('usage: tsx infra/render-config.ts <cdk-outputs.json> [stack name]');
  const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
  const name = stackName ?? Object.keys(all)[0];
  const outputs = name ? all[name] : undefined;
  if (!outputs)
    throw new Error(
      `${file} has no outputs of a stack ${name ?? ''}; name the stack: ${Object.keys(all).join(', ')}`,
    );
  process.stdout.write(
    renderWorkerConfigYaml(outputs, {
      name: process.env.MEDALLION_ENVIRONMENT ?? 'prod',
      ...(process.env.MEDALLION_TEMPORAL_UI_URL
        ? { temporalUiUrl: process.env.MEDALLION_TEMPORAL_UI_URL }
        : {}),
    }),
  );
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

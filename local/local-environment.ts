/**
 * The environment of local mode: the same pipeline, pointed at the emulator's account
 * (emulator/shop-emulator-config.ts names its resources), whose Redshift runs on DuckDB.
 */
import type { Environment } from '../core/environment';
import { type EmulatorConfig, snsTopicArn } from '../emulator/emulator-config';
import { shopEmulatorNames } from '../emulator/shop-emulator-config';

export function localEnvironment(
  endpoint: string,
  emulator: EmulatorConfig,
  lakeBucket: string,
  /** The local Temporal UI, which alert messages link runs to. */
  temporalUiUrl?: string,
): Environment {
  const names = shopEmulatorNames;
  const task = emulator.dms.tasks.find((t) => t.id === names.dmsTask);
  if (!task) throw new Error(`the emulator config has no DMS task "${names.dmsTask}"`);
  return {
    name: 'local',
    region: emulator.region,
    endpoint,
    lakeBucket,
    // Emulated jobs take about a second: poll like a person watching, not like a 6-hour job.
    poll: { initialInterval: '250ms', maxInterval: '2s', backoffCoefficient: 1.5 },
    glue: { sqlRunnerJob: names.sqlRunnerJob, crawlers: { silver: names.silverCrawler } },
    emrServerless: {
      applicationId: names.emrApplicationId,
      executionRoleArn: names.emrExecutionRoleArn,
      entryPoint: `s3://${lakeBucket}/_medallion/jobs/sql_runner.py`,
    },
    dms: { tasks: { shop_cdc: task.arn } },
    // Alerts go to the emulator's topic; `medallion alerts` lists what was published.
    alerts: {
      topicArn: snsTopicArn(emulator, names.alertsTopic),
      ...(temporalUiUrl ? { temporalUiUrl } : {}),
    },
    appflow: { flows: { crm_accounts: names.crmFlow } },
    // The same Redshift SQL as on AWS (COPY from a manifest by position included): the emulator runs it.
    warehouse: {
      dialect: 'redshift',
      database: names.database,
      workgroupName: names.workgroup,
      copyRoleArn: names.redshiftCopyRoleArn,
    },
  };
}

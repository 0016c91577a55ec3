import type { Environment } from '../../core/environment';

/** An AWS environment for the shop pipeline in tests that plan without calling AWS. */
export const awsTestEnvironment: Environment = {
  name: 'test',
  region: 'eu-central-1',
  lakeBucket: 'lake',
  glue: { sqlRunnerJob: 'sql-runner', crawlers: { silver: 'silver-crawler' } },
  emrServerless: {
    applicationId: 'app1',
    executionRoleArn: 'arn:aws:iam::123456789012:role/emr',
    entryPoint: 's3://art/sql_runner.py',
  },
  dms: { tasks: { shop_cdc: 'arn:aws:dms:eu-central-1:123456789012:task:SHOP' } },
  appflow: { flows: { crm_accounts: 'crm-accounts' } },
  warehouse: {
    dialect: 'redshift',
    database: 'analytics',
    workgroupName: 'wg',
    copyRoleArn: 'arn:aws:iam::123456789012:role/copy',
  },
};

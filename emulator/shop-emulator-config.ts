import { ConfigError } from '../core/config-errors';
import { isValidTimeZone } from '../core/dates';
import { lakeLayout } from '../core/lake-layout';
import { type EmulatorConfig, type EmulatorConfigInput, parseEmulatorConfig } from './emulator-config';

export interface ShopEmulatorParameters {
  /** The lake bucket (bronze, silver, gold, quarantine, medallion markers). */
  bucket: string;
  /** Seed of the simulated shop database and CRM. */
  seed: number;
  /** The pipeline's time zone: DMS partitions by commit date in it. */
  timeZone: string;
  /** Override the emulator's default timing (e.g. shorter runs in tests). */
  timing?: EmulatorConfigInput['timing'];
}

/** The AWS resource names of the local `shop` environment (what core/environment.ts maps logical names to). */
export const shopEmulatorNames = {
  sqlRunnerJob: 'medallion-sql-runner',
  silverCrawler: 'medallion-silver',
  emrApplicationId: '00medallionshop0',
  emrExecutionRoleArn: 'arn:aws:iam::123456789012:role/medallion-emr-serverless',
  dmsTask: 'shop-cdc',
  dmsSchema: 'shop',
  dmsTables: ['customers', 'products', 'orders', 'order_items'],
  crmFlow: 'shop-crm-accounts',
  crmObject: 'accounts',
  workgroup: 'medallion',
  database: 'shop',
  redshiftCopyRoleArn: 'arn:aws:iam::123456789012:role/medallion-redshift-copy',
  alertsTopic: 'medallion-alerts',
} as const;

/** The emulator config for the example `shop` pipeline. The DMS task ARN is `config.dms.tasks[0].arn`. */
export function buildShopEmulatorConfig(parameters: ShopEmulatorParameters): EmulatorConfig {
  const issues = [
    ...(isValidTimeZone(parameters.timeZone)
      ? []
      : [{ path: 'timeZone', message: 'use an IANA time zone such as UTC or Europe/Berlin' }]),
  ];
  if (issues.length > 0) throw new ConfigError('shop emulator parameters', issues);
  const { bucket, seed, timeZone } = parameters;
  const names = shopEmulatorNames;
  return parseEmulatorConfig(
    {
      ...(parameters.timing ? { timing: parameters.timing } : {}),
      s3: { buckets: [bucket] },
      glue: {
        jobs: [
          {
            name: names.sqlRunnerJob,
            maxConcurrentRuns: 16,
            description: 'medallion SQL runner (jobs/sql_runner.py)',
          },
        ],
        crawlers: [
          { name: names.silverCrawler, databaseName: 'shop_silver', s3Targets: [`s3://${bucket}/silver/`] },
        ],
      },
      emrServerless: { applications: [{ id: names.emrApplicationId, name: 'medallion-shop' }] },
      dms: {
        tasks: [
          {
            id: names.dmsTask,
            schema: names.dmsSchema,
            tables: [...names.dmsTables],
            seed,
            timeZone,
            // The pipeline reads a day of changes at a time: one file per table and day instead of 24
            // small ones, as a team sets CdcMaxBatchInterval on its S3 target endpoint.
            cdcMaxBatchInterval: 86_400,
            outputUri: lakeLayout.cdcRoot(bucket),
            // The first window loads every table as of its start, then captures the day's changes;
            // every later window captures changes only, from the previous window's stop.
            migrationType: 'full-load-and-cdc',
          },
        ],
      },
      appflow: { flows: [{ name: names.crmFlow, object: names.crmObject, bucket, seed }] },
      redshift: { workgroups: [{ name: names.workgroup, databases: [names.database] }] },
      sns: { topics: [{ name: names.alertsTopic }] },
    },
    'shop emulator config',
  );
}

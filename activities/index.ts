/**
 * Every AWS activity, built from injected SDK v3 clients. A worker registers the returned object
 * (together with the planning activities of plan-daily-run.ts); tests call its functions in a
 * MockActivityEnvironment.
 */
import type { AppflowClient } from '@aws-sdk/client-appflow';
import type { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import type { EMRServerlessClient } from '@aws-sdk/client-emr-serverless';
import type { GlueClient } from '@aws-sdk/client-glue';
import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { PipelineActivities } from '../core/activity-contracts';
import { createAppFlowActivities } from './appflow';
import { createCheckResultActivities } from './check-results';
import { createDmsActivities } from './dms';
import { createEmrServerlessActivities } from './emr-serverless';
import { createGlueActivities } from './glue';
import { createRedshiftDataActivities } from './redshift-data';
import { createS3Activities } from './s3';

export interface AwsClients {
  s3: S3Client;
  glue: GlueClient;
  emrServerless: EMRServerlessClient;
  dms: DatabaseMigrationServiceClient;
  appflow: AppflowClient;
  redshiftData: RedshiftDataClient;
  /** Alerts (alerts.ts); not a stage client. */
  sns: SNSClient;
}

type StageActivities = Pick<
  PipelineActivities,
  | 'runGlueStage'
  | 'runEmrServerlessStage'
  | 'runDmsStage'
  | 'runAppFlowStage'
  | 'runRedshiftStage'
  | 'recordCheckOutcomes'
>;

export function createActivities(clients: AwsClients) {
  const s3 = createS3Activities(clients.s3);
  const activities = {
    ...createGlueActivities({ glue: clients.glue, s3 }),
    ...createEmrServerlessActivities({ emrServerless: clients.emrServerless, s3 }),
    ...createDmsActivities({ dms: clients.dms, s3 }),
    ...createAppFlowActivities({ appflow: clients.appflow, s3 }),
    ...createRedshiftDataActivities({ redshiftData: clients.redshiftData, s3: clients.s3 }),
    ...createCheckResultActivities({ redshiftData: clients.redshiftData }),
    readJson: s3.readJson,
    writeJson: s3.writeJson,
    listKeys: s3.listKeys,
    copyPrefix: s3.copyPrefix,
    assertLanded: s3.assertLanded,
  };
  return activities satisfies StageActivities;
}

/**
 * AWS SDK v3 clients for the activities, built from the environment config. Region and credentials
 * come from the standard chain (env, profile, SSO, instance role); an `endpoint` (or AWS_ENDPOINT_URL)
 * points every client at the local emulator. SDK retries stay small: Temporal owns retries.
 */
import { AppflowClient } from '@aws-sdk/client-appflow';
import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { EMRServerlessClient } from '@aws-sdk/client-emr-serverless';
import { GlueClient } from '@aws-sdk/client-glue';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { S3Client } from '@aws-sdk/client-s3';
import type { Environment } from '../core/environment';
import type { AwsClients } from '../activities';

/** Credentials for the local emulator, which does not check signatures. */
const EMULATOR_CREDENTIALS = { accessKeyId: 'medallion-local', secretAccessKey: 'medallion-local' };

export function buildAwsClients(environment: Environment, env: NodeJS.ProcessEnv = process.env): AwsClients {
  const endpoint = environment.endpoint ?? env.AWS_ENDPOINT_URL;
  const hasCredentials = Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE);
  const common = {
    region: environment.region,
    maxAttempts: 2,
    ...(endpoint ? { endpoint } : {}),
    ...(endpoint && !hasCredentials ? { credentials: EMULATOR_CREDENTIALS } : {}),
  };
  return {
    s3: new S3Client({ ...common, forcePathStyle: Boolean(endpoint) }),
    glue: new GlueClient(common),
    emrServerless: new EMRServerlessClient(common),
    dms: new DatabaseMigrationServiceClient(common),
    appflow: new AppflowClient(common),
    redshiftData: new RedshiftDataClient(common),
  };
}

/**
 * AWS SDK v3 clients for the activities, built from the environment config. Region and credentials
 * come from the standard chain (env, profile, SSO, instance role); an `endpoint` (or AWS_ENDPOINT_URL)
 * points every client at the local emulator. SDK retries stay small: Temporal owns retries. Starts
 * without an idempotency token are never retried by the SDK (see start-call-retry.ts).
 */
import { AppflowClient } from '@aws-sdk/client-appflow';
import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { EMRServerlessClient } from '@aws-sdk/client-emr-serverless';
import { GlueClient } from '@aws-sdk/client-glue';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { type Environment, warehouseTarget } from '../core/environment';
import { type WarehouseQuery, warehouseQuery } from '../activities/warehouse-query';
import type { AwsClients } from '../activities';
import { NON_IDEMPOTENT_START_COMMANDS, withoutSdkRetryFor } from './start-call-retry';

/** Credentials for the local emulator, which does not check signatures. */
const EMULATOR_CREDENTIALS = { accessKeyId: 'medallion-local', secretAccessKey: 'medallion-local' };

function clientSettings(environment: Environment, env: NodeJS.ProcessEnv) {
  const endpoint = environment.endpoint ?? env.AWS_ENDPOINT_URL;
  const hasCredentials = Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE);
  return {
    region: environment.region,
    maxAttempts: 2,
    ...(endpoint ? { endpoint } : {}),
    ...(endpoint && !hasCredentials ? { credentials: EMULATOR_CREDENTIALS } : {}),
  };
}

export function buildAwsClients(environment: Environment, env: NodeJS.ProcessEnv = process.env): AwsClients {
  const common = clientSettings(environment, env);
  return {
    // An S3 endpoint of your own (the emulator, MinIO) serves buckets as paths, not as host names;
    // AWS_ENDPOINT_URL_S3 is the SDK's per-service setting, which it reads by itself.
    s3: new S3Client({ ...common, forcePathStyle: 'endpoint' in common || Boolean(env.AWS_ENDPOINT_URL_S3) }),
    glue: withoutSdkRetryFor(new GlueClient(common), NON_IDEMPOTENT_START_COMMANDS.glue),
    emrServerless: new EMRServerlessClient(common),
    dms: withoutSdkRetryFor(new DatabaseMigrationServiceClient(common), NON_IDEMPOTENT_START_COMMANDS.dms),
    appflow: new AppflowClient(common),
    redshiftData: new RedshiftDataClient(common),
    // Publish is not idempotent on a standard topic: the alert activity's own retry decides (alerts.ts).
    sns: new SNSClient({ ...common, maxAttempts: 1 }),
  };
}

/** The environment's warehouse as a query function, for reads outside workflows (CLI, tests). */
export function warehouseQueryFor(
  environment: Environment,
  env: NodeJS.ProcessEnv = process.env,
): WarehouseQuery {
  const client = new RedshiftDataClient(clientSettings(environment, env));
  return warehouseQuery(client, warehouseTarget(environment.warehouse));
}

/**
 * Where the CLI's commands connect: the local stack `npm start` is running (its endpoints file), or
 * the cluster and AWS account of a worker config (MEDALLION_CONFIG), or TEMPORAL_ADDRESS.
 */
import { Client, Connection } from '@temporalio/client';
import type { WarehouseQuery } from '../activities/warehouse-query';
import { warehouseQueryFor } from '../workers/aws-clients';
import { loadWorkerConfigFile } from '../workers/config';
import { connectionOptions } from '../workers/temporal-connection';
import { dataDirectory, loadEndpoints } from '../local/local-state';

export interface CliContext {
  client: Client;
  namespace: string;
  taskQueue: string;
  uiUrl?: string;
  warehouse?: WarehouseQuery;
  close(): Promise<void>;
}

export async function connectCli(): Promise<CliContext> {
  const local = loadEndpoints(dataDirectory());
  if (process.env.MEDALLION_CONFIG) {
    const config = loadWorkerConfigFile(process.env.MEDALLION_CONFIG);
    const connection = await Connection.connect(connectionOptions(config));
    return {
      client: new Client({ connection, namespace: config.temporal.namespace }),
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      warehouse: warehouseQueryFor(config.environment),
      close: () => connection.close(),
    };
  }
  const address = process.env.TEMPORAL_ADDRESS ?? local?.temporalAddress;
  if (!address) {
    throw new Error(
      'no running medallion found: start one with `npm start`, or set TEMPORAL_ADDRESS / MEDALLION_CONFIG',
    );
  }
  const connection = await Connection.connect({ address });
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  return {
    client: new Client({ connection, namespace }),
    namespace,
    taskQueue: process.env.MEDALLION_TASK_QUEUE ?? 'medallion',
    ...(local?.uiUrl ? { uiUrl: local.uiUrl } : {}),
    ...(local ? { warehouse: warehouseQueryFor(local.environment) } : {}),
    close: () => connection.close(),
  };
}

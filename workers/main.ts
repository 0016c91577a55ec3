/**
 * `tsx workers/main.ts [--config medallion.yaml]`: runs a medallion worker until SIGINT/SIGTERM.
 * The config path comes from --config or MEDALLION_CONFIG; a bad field stops the worker here with its
 * path. A worker restart never cancels AWS work: running activities are picked up by the next worker.
 */
import { Command } from 'commander';
import { Runtime } from '@temporalio/worker';
import { loadWorkerConfigFile } from './config';
import { createMedallionWorker } from './worker';
import { logger } from './logger';
import { checkHealth, startHealthServer } from './health-server';
import { WorkerMetrics } from './metrics';

async function main(): Promise<void> {
  const program = new Command('medallion-worker')
    .option('-c, --config <path>', 'worker config (YAML or JSON)', process.env.MEDALLION_CONFIG)
    .parse();
  const { config: configPath } = program.opts<{ config?: string }>();
  if (!configPath) {
    throw new Error('no config: pass --config <path> or set MEDALLION_CONFIG (see config/aws.example.yaml)');
  }
  const config = loadWorkerConfigFile(configPath);
  const { host, port, sdkMetricsPort } = config.monitoring;
  // Before any connection: the runtime's telemetry is fixed when it is installed.
  Runtime.install({
    ...(sdkMetricsPort > 0
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `${host}:${sdkMetricsPort}` } } } }
      : {}),
  });
  const metrics = new WorkerMetrics();
  const { worker, connection } = await createMedallionWorker(config, {}, metrics);
  const health = await startHealthServer(host, port, () => checkHealth(worker, connection), metrics.registry);
  logger.info(
    {
      taskQueue: config.temporal.taskQueue,
      address: config.temporal.address,
      environment: config.environment.name,
      healthz: `http://${host}:${health.port}/healthz`,
      metrics: `http://${host}:${health.port}/metrics`,
      ...(sdkMetricsPort > 0 ? { sdkMetrics: `http://${host}:${sdkMetricsPort}/metrics` } : {}),
    },
    'medallion worker polling',
  );
  try {
    await worker.run();
  } finally {
    await health.close();
    await connection.close();
  }
}

main().catch((error: unknown) => {
  logger.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});

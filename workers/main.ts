/**
 * `tsx workers/main.ts [--config medallion.yaml]`: runs a medallion worker until SIGINT/SIGTERM.
 * The config path comes from --config or MEDALLION_CONFIG; a bad field stops the worker here with its
 * path. A worker restart never cancels AWS work: running activities are picked up by the next worker.
 */
import { Command } from 'commander';
import { loadWorkerConfigFile } from './config';
import { createMedallionWorker } from './worker';
import { logger } from './logger';
import { checkHealth, startHealthServer } from './health-server';

async function main(): Promise<void> {
  const program = new Command('medallion-worker')
    .option('-c, --config <path>', 'worker config (YAML or JSON)', process.env.MEDALLION_CONFIG)
    .parse();
  const { config: configPath } = program.opts<{ config?: string }>();
  if (!configPath) {
    throw new Error('no config: pass --config <path> or set MEDALLION_CONFIG (see config/aws.example.yaml)');
  }
  const config = loadWorkerConfigFile(configPath);
  const { worker, connection } = await createMedallionWorker(config);
  const { host, port } = config.monitoring;
  const health = await startHealthServer(host, port, () => checkHealth(worker, connection));
  logger.info(
    {
      taskQueue: config.temporal.taskQueue,
      address: config.temporal.address,
      environment: config.environment.name,
      healthz: `http://${host}:${health.port}/healthz`,
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

/**
 * Runs the emulator as a process:
 *   tsx emulator/main.ts [--data-dir .medallion] [--port 4566] [--config emulator.yaml]
 *                        [--bucket medallion-lake --seed 42 --time-zone UTC --first-day 2024-01-01]
 * Without --config it emulates the example `shop` pipeline's account. Prints the endpoint as the first
 * line on stdout; stops cleanly on SIGINT / SIGTERM (runs in flight continue on the next start).
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import type { EmulatorConfigInput } from './emulator-config';
import { buildShopEmulatorConfig } from './shop-emulator-config';
import { createShopSimulator } from './sources/shop-simulator';
import { startEmulator } from './start-emulator';

function integer(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0)
      throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return parsed;
  };
}

async function main(): Promise<void> {
  const options = new Command('medallion-emulator')
    .description('the local AWS (S3, Glue, EMR Serverless, DMS, AppFlow, Redshift Data) for medallion')
    .option('--data-dir <dir>', 'lake, warehouse and emulator state', '.medallion')
    .option('--port <port>', 'port on 127.0.0.1 (0 = any free port)', integer('--port'), 4566)
    .option('--config <file>', 'emulator config (JSON or YAML, see emulator/emulator-config.ts)')
    .option('--bucket <name>', 'lake bucket of the shop config', 'medallion-lake')
    .option('--seed <n>', 'seed of the simulated shop', integer('--seed'), 42)
    .option('--time-zone <zone>', 'time zone of the shop pipeline', 'UTC')
    .option('--first-day <date>', 'first logical date of the shop pipeline (YYYY-MM-DD)', '2024-01-01')
    .option('--log-level <level>', 'pino log level', 'info')
    .parse()
    .opts<{
      dataDir: string;
      port: number;
      config?: string;
      bucket: string;
      seed: number;
      timeZone: string;
      firstDay: string;
      logLevel: string;
    }>();
  const logger = pino({ level: options.logLevel }, pino.destination(2));
  const config: EmulatorConfigInput = options.config
    ? (parseYaml(await readFile(options.config, 'utf8')) as EmulatorConfigInput)
    : buildShopEmulatorConfig(options);
  const emulator = await startEmulator({
    dataDir: options.dataDir,
    port: options.port,
    config,
    sources: createShopSimulator({ epochUtc: new Date(`${options.firstDay}T00:00:00Z`) }),
    logger,
  });
  process.stdout.write(`${emulator.endpoint}\n`);
  logger.info(
    { endpoint: emulator.endpoint, dataDir: emulator.dataDir },
    'emulator ready (AWS_ENDPOINT_URL; S3 needs forcePathStyle)',
  );
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'stopping emulator');
    emulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'emulator did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

/**
 * The worker's configuration: where Temporal is and which environment (AWS account or local
 * emulator) the pipelines run in. From a JSON or YAML file, with environment-variable overrides for
 * the Temporal connection. A bad field stops the worker at start, naming the field's path and file.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseOrThrow } from '../core/config-errors';
import { environmentSchema } from '../core/environment';

const workerConfigSchema = z.object({
  temporal: z
    .object({
      address: z.string().min(1).default('127.0.0.1:7233'),
      namespace: z.string().min(1).default('default'),
      taskQueue: z.string().min(1).default('medallion'),
      /** Temporal Cloud API key; TLS is then on. */
      apiKey: z.string().optional(),
      tls: z
        .object({
          clientCertPath: z.string(),
          clientKeyPath: z.string(),
          serverNameOverride: z.string().optional(),
        })
        .optional(),
    })
    .default({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'medallion' }),
  worker: z
    .object({
      maxConcurrentActivityTaskExecutions: z.number().int().min(1).default(100),
      maxConcurrentWorkflowTaskExecutions: z.number().int().min(1).default(40),
    })
    .default({ maxConcurrentActivityTaskExecutions: 100, maxConcurrentWorkflowTaskExecutions: 40 }),
  /**
   * The worker's own HTTP endpoint on `port`: GET /healthz (the image's health check) and GET /metrics
   * (medallion's Prometheus metrics); the Temporal SDK's Prometheus metrics on `sdkMetricsPort` (0: off).
   */
  monitoring: z
    .object({
      host: z.string().min(1).default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(9464),
      sdkMetricsPort: z.number().int().min(0).max(65535).default(9465),
    })
    .default({ host: '0.0.0.0', port: 9464, sdkMetricsPort: 9465 }),
  environment: environmentSchema,
});

export type WorkerConfig = z.infer<typeof workerConfigSchema>;
export type WorkerConfigInput = z.input<typeof workerConfigSchema>;

/** Parses a config object; `source` names it in errors (a file path, or "local defaults"). */
export function parseWorkerConfig(
  value: unknown,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): WorkerConfig {
  const config = parseOrThrow(workerConfigSchema, value, source);
  return {
    ...config,
    temporal: {
      ...config.temporal,
      address: env.TEMPORAL_ADDRESS ?? config.temporal.address,
      namespace: env.TEMPORAL_NAMESPACE ?? config.temporal.namespace,
      taskQueue: env.MEDALLION_TASK_QUEUE ?? config.temporal.taskQueue,
      ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}),
    },
    monitoring: {
      ...config.monitoring,
      ...(env.MEDALLION_MONITORING_PORT
        ? { port: monitoringPort('MEDALLION_MONITORING_PORT', env.MEDALLION_MONITORING_PORT) }
        : {}),
      ...(env.MEDALLION_SDK_METRICS_PORT
        ? { sdkMetricsPort: monitoringPort('MEDALLION_SDK_METRICS_PORT', env.MEDALLION_SDK_METRICS_PORT) }
        : {}),
    },
  };
}

function monitoringPort(variable: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${variable}=${value} is not a TCP port: use a whole number from 0 to 65535`);
  }
  return port;
}

export function loadWorkerConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read the config file ${path} (${(error as Error).message}); pass --config <path> or set MEDALLION_CONFIG`,
    );
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new Error(
      `the config file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    );
  }
  return parseWorkerConfig(value, path, env);
}

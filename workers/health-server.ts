/**
 * The worker's HTTP endpoint. GET /healthz answers 200 only while the worker is polling and its
 * Temporal server answers a gRPC health check, so an orchestrator restarts a worker that is stuck
 * or cut off; anything else is 503 with the reason. The image's HEALTHCHECK calls it. GET /metrics
 * serves medallion's Prometheus metrics (workers/metrics.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { grpc } from '@temporalio/proto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Registry } from 'prom-client';

const { SERVING } = grpc.health.v1.HealthCheckResponse.ServingStatus;

/** A Temporal health check that takes longer than this counts as unhealthy. */
const TEMPORAL_CHECK_TIMEOUT_MS = 3_000;

export interface Health {
  healthy: boolean;
  worker: string;
  temporal: string;
}

export async function checkHealth(
  worker: Pick<Worker, 'getState'>,
  connection: NativeConnection,
): Promise<Health> {
  const state = worker.getState();
  let temporal: string;
  try {
    const deadline = new Date(Date.now() + TEMPORAL_CHECK_TIMEOUT_MS);
    const response = await connection.withDeadline(deadline, () => connection.healthService.check({}));
    temporal = response.status === SERVING ? 'SERVING' : `status ${String(response.status)}`;
  } catch (error) {
    temporal = `unreachable: ${error instanceof Error ? error.message : String(error)}`;
  }
  return { healthy: state === 'RUNNING' && temporal === 'SERVING', worker: state, temporal };
}

export interface HealthServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(
  host: string,
  port: number,
  health: () => Promise<Health>,
  registry?: Registry,
): Promise<HealthServer> {
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/metrics' && registry) {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) =>
          response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
      );
      return;
    }
    if (request.method !== 'GET' || request.url !== '/healthz') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('GET /healthz or /metrics\n');
      return;
    }
    health().then(
      (result) => {
        response
          .writeHead(result.healthy ? 200 : 503, { 'content-type': 'application/json' })
          .end(`${JSON.stringify(result)}\n`);
      },
      (error: unknown) => {
        response.writeHead(503, { 'content-type': 'text/plain' }).end(`${String(error)}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

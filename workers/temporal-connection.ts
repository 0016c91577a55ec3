import { readFileSync } from 'node:fs';
import type { WorkerConfig } from './config';

/** Connection options shared by the worker (NativeConnection) and clients (Connection). */
export function connectionOptions(config: WorkerConfig) {
  const { address, apiKey, tls } = config.temporal;
  return {
    address,
    ...(apiKey ? { apiKey, tls: true as const } : {}),
    ...(tls
      ? {
          tls: {
            ...(tls.serverNameOverride ? { serverNameOverride: tls.serverNameOverride } : {}),
            clientCertPair: { crt: readFileSync(tls.clientCertPath), key: readFileSync(tls.clientKeyPath) },
          },
        }
      : {}),
  };
}

import { ConfigError } from '../../core/config-errors';
import type { EmulatorAdmin } from '../scripting/emulator-admin';
import type { StartCall } from '../scripting/start-call-log';
import type { AwsResponse } from './aws-request';

export const ADMIN_PREFIX = '/_emulator/';

interface AdminRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Buffer;
}

export type AdminRoute = (body: unknown, query: URLSearchParams) => unknown;

/**
 * The admin API over HTTP (JSON, never routed as AWS):
 *   GET    /_emulator/health                  { ok, endpoint, dataDir }
 *   GET    /_emulator/script                  the current script
 *   DELETE /_emulator/script                  forget every rule
 *   POST   /_emulator/script/durations        { service, name, ms }
 *   POST   /_emulator/script/run-failures     { service, name, count?, message? }
 *   POST   /_emulator/script/call-faults      { operation, count?, phase?: before|after-effect,
 *                                               response?: error|drop, code?, message?, httpStatus? }
 *   POST   /_emulator/script/throttles        { operation, count? }
 *   POST   /_emulator/script/latencies        { operation, ms }
 *   PUT    /_emulator/source-clock            { at: ISO-8601 | null }
 *   GET    /_emulator/start-calls?service=&operation=&resource=&outcome=
 *   GET    /_emulator/sns/messages?topic=<arn>     what SNS Publish accepted, oldest first
 */
export function adminHandler(
  admin: EmulatorAdmin,
  info: () => { endpoint: string; dataDir: string },
  /** Routes of the services' own ("GET sns/messages"). */
  serviceRoutes: Record<string, AdminRoute> = {},
): (request: AdminRequest) => Promise<AwsResponse> {
  const routes: Record<string, AdminRoute> = {
    ...serviceRoutes,
    'GET health': () => ({ ok: true, ...info() }),
    'GET script': () => admin.script(),
    'DELETE script': () => admin.resetScript(),
    'POST script/durations': (body) => admin.setDuration(body as Parameters<EmulatorAdmin['setDuration']>[0]),
    'POST script/run-failures': (body) =>
      admin.failNextRuns(body as Parameters<EmulatorAdmin['failNextRuns']>[0]),
    'POST script/call-faults': (body) =>
      admin.failNextCalls(body as Parameters<EmulatorAdmin['failNextCalls']>[0]),
    'POST script/throttles': (body) => {
      const { operation, count } = (body ?? {}) as { operation?: unknown; count?: unknown };
      return admin.failNextCalls({ operation, count } as Parameters<EmulatorAdmin['failNextCalls']>[0]);
    },
    'POST script/latencies': (body) => admin.setLatency(body as Parameters<EmulatorAdmin['setLatency']>[0]),
    'PUT source-clock': (body) => admin.setSourceClock(((body ?? {}) as { at?: string | null }).at ?? null),
    'GET start-calls': (_body, query) =>
      admin.startCalls({
        ...optional('service', query.get('service')),
        ...optional('operation', query.get('operation')),
        ...optional('resource', query.get('resource')),
        ...optional('outcome', query.get('outcome') as StartCall['outcome'] | null),
      }),
  };
  return async (request) => {
    const route = routes[`${request.method} ${request.path.slice(ADMIN_PREFIX.length).replace(/\/$/, '')}`];
    if (!route)
      return json(404, {
        error: `no admin route ${request.method} ${request.path}; see emulator/http/admin-routes.ts`,
      });
    let body: unknown;
    try {
      body = request.body.length === 0 ? undefined : JSON.parse(request.body.toString('utf8'));
    } catch {
      return json(400, { error: 'the request body is not JSON' });
    }
    try {
      return json(200, (await route(body, request.query)) ?? { ok: true });
    } catch (error) {
      if (error instanceof ConfigError) return json(400, { error: error.message, issues: error.issues });
      throw error;
    }
  };
}

function optional<K extends string, V>(key: K, value: V | null): Partial<Record<K, V>> {
  return value === null ? {} : ({ [key]: value } as Record<K, V>);
}

function json(status: number, body: unknown): AwsResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

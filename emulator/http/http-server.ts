import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { requestId } from '../runtime/ids';
import { ADMIN_PREFIX } from './admin-routes';
import { decodeAwsChunked, isAwsChunked } from './aws-chunked';
import type { AwsRequest, AwsResponse, ServiceHandler } from './aws-request';
import { credentialScope } from './sigv4-scope';

export interface EmulatorServerOptions {
  services: Map<string, ServiceHandler>;
  admin: (request: {
    method: string;
    path: string;
    query: URLSearchParams;
    body: Buffer;
  }) => Promise<AwsResponse>;
  log: Logger;
  /** Runs a request's handling as tracked work, so a stop waits for calls that are being answered. */
  track: (task: () => Promise<void>) => void;
}

/** X-Amz-Target prefixes, for unsigned JSON requests (signed ones are routed by their credential scope). */
const TARGET_PREFIXES: Record<string, string> = {
  AWSGlue: 'glue',
  AmazonDMSv20160101: 'dms',
  RedshiftData: 'redshift-data',
};

/** The single endpoint of every emulated service, bound to 127.0.0.1 only. */
export async function listen(
  options: EmulatorServerOptions,
  port: number,
): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((req, res) => {
    options.track(() =>
      handle(options, req, res).catch((error: unknown) => {
        options.log.error({ err: error }, 'emulator request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`emulator error: ${String(error)}`);
      }),
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return { server, endpoint: `http://127.0.0.1:${address.port}` };
}

export async function close(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

async function handle(
  options: EmulatorServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = req.method ?? 'GET';
  const raw = Buffer.concat(chunks);

  if (url.pathname.startsWith(ADMIN_PREFIX)) {
    return send(res, await options.admin({ method, path: url.pathname, query: url.searchParams, body: raw }));
  }

  const scope = credentialScope(req.headers, url.searchParams);
  const target = req.headers['x-amz-target'];
  const service =
    scope?.service ?? (typeof target === 'string' ? TARGET_PREFIXES[target.split('.')[0]!] : undefined);
  const handler = service === undefined ? undefined : options.services.get(service);
  if (!handler) {
    return send(res, {
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        __type: 'UnrecognizedClientException',
        message:
          service === undefined
            ? 'cannot tell which AWS service this request is for: sign it with SigV4 (any credentials will do)'
            : `the emulator does not emulate "${service}"; it emulates ${[...options.services.keys()].join(', ')}`,
      }),
    });
  }
  let body: Buffer = raw;
  if (isAwsChunked(req.headers)) {
    try {
      body = decodeAwsChunked(raw);
    } catch (error) {
      return send(res, {
        status: 400,
        headers: { 'content-type': 'text/plain' },
        body: (error as Error).message,
      });
    }
  }
  const request: AwsRequest = {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body,
    region: scope?.region ?? 'us-east-1',
    requestId: requestId(),
  };
  const response = await handler(request);
  options.log.debug({ service, method, path: url.pathname, status: response.status }, 'aws call');
  send(res, response);
}

function send(res: ServerResponse, response: AwsResponse): void {
  if (response.drop) {
    // A lost response: the connection closes with nothing written, as when AWS's answer never arrives.
    res.destroy();
    return;
  }
  const headers = { ...response.headers };
  if (response.body !== undefined && headers['content-length'] === undefined) {
    headers['content-length'] = String(Buffer.byteLength(response.body));
  }
  res.writeHead(response.status, headers);
  res.end(response.body);
}

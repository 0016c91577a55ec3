import type { IncomingHttpHeaders } from 'node:http';

/** One parsed HTTP request addressed to an emulated AWS service. */
export interface AwsRequest {
  method: string;
  /** The URL path, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The payload, with any aws-chunked framing removed. */
  body: Buffer;
  region: string;
  requestId: string;
}

export interface AwsResponse {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export type ServiceHandler = (request: AwsRequest) => Promise<AwsResponse>;

/** Applied to every AWS call before it runs: scripted latency, then scripted faults (throws AwsError). */
export type CallGate = (service: string, operation: string) => Promise<void>;

export function header(request: AwsRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

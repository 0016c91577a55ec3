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
  /** Close the connection without answering (a scripted lost response): the caller sees a reset. */
  drop?: true;
}

/** The answer given instead of a response that is lost: the connection closes with nothing sent. */
export const DROPPED: AwsResponse = { status: 0, drop: true };

export type ServiceHandler = (request: AwsRequest) => Promise<AwsResponse>;

/**
 * Applied to every AWS call before it runs: scripted latency, then scripted faults. A fault before the
 * effect throws (an AwsError, or DroppedConnection); a fault after the effect is returned, and the
 * protocol handler runs the operation, then answers with `lostResponse` instead of its response.
 */
export type CallGate = (service: string, operation: string) => Promise<LostResponse | undefined>;

/** How the answer to a call that took effect is lost: replaced by an error, or never sent. */
export type LostResponse = { response: 'error'; error: Error } | { response: 'drop' };

/** Thrown by the gate for a call whose connection is dropped before it runs. */
export class DroppedConnection extends Error {
  constructor(readonly operation: string) {
    super(`scripted: connection dropped before ${operation} ran`);
    this.name = 'DroppedConnection';
  }
}

/**
 * The answer a protocol handler gives: its own response, unless the gate said the answer is lost
 * (then the scripted error in the protocol's shape, or no answer at all). A connection dropped before
 * the operation ran is not answered either.
 */
export function finalAnswer(
  response: AwsResponse,
  lost: LostResponse | undefined,
  errorResponse: (error: Error) => AwsResponse,
): AwsResponse {
  if (!lost) return response;
  return lost.response === 'drop' ? DROPPED : errorResponse(lost.error);
}

export function header(request: AwsRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

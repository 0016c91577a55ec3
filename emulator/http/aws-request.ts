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
const DROPPED: AwsResponse = { status: 0, drop: true };

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
 * A service handler in the frame every protocol shares. `serve` reads the request, names its operation
 * to `pass` (the call gate: scripted latency, faults before the effect) and runs it. Whatever it
 * throws is answered by `errorResponse` in the protocol's own error shape, but for a connection the
 * gate dropped, which is not answered. A call that took effect is answered as the gate said: its own
 * response, the scripted error in the protocol's shape, or no answer at all.
 */
export function gatedHandler(
  service: string,
  gate: CallGate,
  errorResponse: (error: unknown, request: AwsRequest) => AwsResponse,
  serve: (request: AwsRequest, pass: (operation: string) => Promise<void>) => Promise<AwsResponse>,
): ServiceHandler {
  return async (request) => {
    let lost: LostResponse | undefined;
    const pass = async (operation: string) => {
      lost = await gate(service, operation);
    };
    const answer = (response: AwsResponse): AwsResponse => {
      if (!lost) return response;
      return lost.response === 'drop' ? DROPPED : errorResponse(lost.error, request);
    };
    try {
      return answer(await serve(request, pass));
    } catch (error) {
      if (error instanceof DroppedConnection) return DROPPED;
      return answer(errorResponse(error, request));
    }
  };
}

export function header(request: AwsRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

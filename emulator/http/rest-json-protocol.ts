import { AwsError } from './aws-error';
import {
  type AwsRequest,
  type AwsResponse,
  type CallGate,
  DROPPED,
  DroppedConnection,
  type LostResponse,
  type ServiceHandler,
  finalAnswer,
} from './aws-request';

export interface RestJsonCall {
  /** Decoded path parameters, e.g. { applicationId }. */
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  request: AwsRequest;
}

export interface RestJsonRoute {
  method: string;
  /** Path template from the service model, e.g. /applications/{applicationId}/jobruns. */
  path: string;
  operation: string;
  /** The output, or a promise of it. */
  handle: (call: RestJsonCall) => unknown;
}

/**
 * The restJson1 protocol (EMR Serverless, AppFlow): operations addressed by method and path, JSON
 * bodies, errors with the `x-amzn-ErrorType` header and `{"message": ...}`.
 */
export function restJsonHandler(service: string, routes: RestJsonRoute[], gate: CallGate): ServiceHandler {
  const compiled = routes.map((route) => ({ route, ...compileTemplate(route.path) }));
  return async (request) => {
    let lost: LostResponse | undefined;
    const answer = (response: AwsResponse) =>
      finalAnswer(response, lost, (error) => restJsonError(error, request));
    try {
      const path = request.path.replace(/\/+$/, '') || '/';
      for (const { route, pattern, names } of compiled) {
        if (route.method !== request.method) continue;
        const match = pattern.exec(path);
        if (!match) continue;
        const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
        lost = await gate(service, route.operation);
        const output = await route.handle({
          params,
          query: request.query,
          body: parseBody(request),
          request,
        });
        return answer(jsonResponse(200, output ?? {}, request));
      }
      throw new AwsError(
        'UnknownOperationException',
        `the emulator's ${service} has no operation for ${request.method} ${request.path}; it implements ${routes.map((r) => r.operation).join(', ')}`,
        404,
      );
    } catch (error) {
      if (error instanceof DroppedConnection) return DROPPED;
      return answer(restJsonError(error, request));
    }
  };
}

function compileTemplate(template: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { pattern: new RegExp(`^${source}$`), names };
}

function parseBody(request: AwsRequest): Record<string, unknown> {
  if (request.body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(request.body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new AwsError('SerializationException', 'the request body is not a JSON object');
}

function jsonResponse(status: number, body: unknown, request: AwsRequest, errorType?: string): AwsResponse {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-amzn-requestid': request.requestId,
  };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  return { status, headers, body: JSON.stringify(body) };
}

function restJsonError(error: unknown, request: AwsRequest): AwsResponse {
  const awsError =
    error instanceof AwsError
      ? error
      : new AwsError('InternalServerException', `emulator error: ${String(error)}`, 500);
  return jsonResponse(
    awsError.httpStatus,
    { message: awsError.message, ...awsError.fields },
    request,
    awsError.code,
  );
}

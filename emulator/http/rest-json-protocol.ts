import { AwsError, asAwsError } from './aws-error';
import {
  type AwsRequest,
  type AwsResponse,
  type CallGate,
  type ServiceHandler,
  gatedHandler,
} from './aws-request';
import { jsonObjectBody } from './json-body';

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
  return gatedHandler(service, gate, restJsonError, async (request, pass) => {
    const path = request.path.replace(/\/+$/, '') || '/';
    for (const { route, pattern, names } of compiled) {
      if (route.method !== request.method) continue;
      const match = pattern.exec(path);
      if (!match) continue;
      const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
      await pass(route.operation);
      const output = await route.handle({
        params,
        query: request.query,
        body: jsonObjectBody(request),
        request,
      });
      return jsonResponse(200, output ?? {}, request);
    }
    throw new AwsError(
      'UnknownOperationException',
      `the emulator's ${service} has no operation for ${request.method} ${request.path}; it implements ${routes.map((r) => r.operation).join(', ')}`,
      404,
    );
  });
}

function compileTemplate(template: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { pattern: new RegExp(`^${source}$`), names };
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
  const awsError = asAwsError(error, 'InternalServerException');
  return jsonResponse(
    awsError.httpStatus,
    { message: awsError.message, ...awsError.fields },
    request,
    awsError.code,
  );
}

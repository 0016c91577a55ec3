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
  header,
} from './aws-request';

type JsonOperation = (input: Record<string, unknown>, request: AwsRequest) => unknown;

export interface JsonRpcService {
  /** Signing name, e.g. glue. */
  service: string;
  /** X-Amz-Target prefix, e.g. AWSGlue. */
  targetPrefix: string;
  operations: Record<string, JsonOperation>;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * The awsJson1_1 protocol (Glue, DMS, Redshift Data): POST / with `X-Amz-Target: <prefix>.<Operation>`,
 * JSON in and out, errors as `{"__type": code, "message": ...}`.
 */
export function jsonRpcHandler(definition: JsonRpcService, gate: CallGate): ServiceHandler {
  return async (request) => {
    let lost: LostResponse | undefined;
    const answer = (response: AwsResponse) =>
      finalAnswer(response, lost, (error) => jsonRpcError(error, request));
    try {
      const target = header(request, 'x-amz-target') ?? '';
      const [prefix, operationName] = target.split('.', 2);
      if (request.method !== 'POST' || prefix !== definition.targetPrefix || !operationName) {
        throw new AwsError(
          'UnknownOperationException',
          `expected POST / with X-Amz-Target: ${definition.targetPrefix}.<Operation>, got ${request.method} ${request.path} with X-Amz-Target "${target}"`,
        );
      }
      const operation = definition.operations[operationName];
      if (!operation) {
        throw new AwsError(
          'UnknownOperationException',
          `the emulator's ${definition.service} does not implement ${operationName}; it implements ${Object.keys(definition.operations).join(', ')}`,
        );
      }
      lost = await gate(definition.service, operationName);
      const output = await operation(parseJsonBody(request), request);
      return answer(jsonResponse(200, output ?? {}, request));
    } catch (error) {
      if (error instanceof DroppedConnection) return DROPPED;
      return answer(jsonRpcError(error, request));
    }
  };
}

function parseJsonBody(request: AwsRequest): Record<string, unknown> {
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

function jsonResponse(status: number, body: unknown, request: AwsRequest): AwsResponse {
  return {
    status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': request.requestId },
    body: JSON.stringify(body),
  };
}

function jsonRpcError(error: unknown, request: AwsRequest): AwsResponse {
  const awsError =
    error instanceof AwsError
      ? error
      : new AwsError('InternalFailure', `emulator error: ${String(error)}`, 500);
  return jsonResponse(
    awsError.httpStatus,
    { __type: awsError.code, message: awsError.message, Message: awsError.message, ...awsError.fields },
    request,
  );
}

import { AwsError, asAwsError } from './aws-error';
import {
  type AwsRequest,
  type AwsResponse,
  type CallGate,
  type ServiceHandler,
  gatedHandler,
  header,
} from './aws-request';
import { jsonObjectBody } from './json-body';

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
  return gatedHandler(definition.service, gate, jsonRpcError, async (request, pass) => {
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
    await pass(operationName);
    const output = await operation(jsonObjectBody(request), request);
    return jsonResponse(200, output ?? {}, request);
  });
}

function jsonResponse(status: number, body: unknown, request: AwsRequest): AwsResponse {
  return {
    status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': request.requestId },
    body: JSON.stringify(body),
  };
}

function jsonRpcError(error: unknown, request: AwsRequest): AwsResponse {
  const awsError = asAwsError(error, 'InternalFailure');
  return jsonResponse(
    awsError.httpStatus,
    { __type: awsError.code, message: awsError.message, Message: awsError.message, ...awsError.fields },
    request,
  );
}

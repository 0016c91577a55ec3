import { XMLBuilder } from 'fast-xml-parser';
import { AwsError, asAwsError } from './aws-error';
import {
  type AwsRequest,
  type AwsResponse,
  type CallGate,
  type ServiceHandler,
  gatedHandler,
} from './aws-request';

/** Form parameters of a request, flat: `MessageAttributes.entry.1.Name` -> value. */
export type QueryParameters = Map<string, string>;

/** An operation's result: the members of `<Operation>Result`, nested objects and `member` lists. */
type QueryResult = Record<string, unknown>;

type QueryOperation = (
  parameters: QueryParameters,
  request: AwsRequest,
) => QueryResult | Promise<QueryResult>;

export interface QueryService {
  /** Signing name, e.g. sns. */
  service: string;
  /** The service's API version, which every request names (`Version=2010-03-31`). */
  version: string;
  /** XML namespace of responses, e.g. http://sns.amazonaws.com/doc/2010-03-31/. */
  xmlNamespace: string;
  operations: Record<string, QueryOperation>;
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
});

/**
 * The awsQuery protocol (SNS, as @aws-sdk/client-sns 3.x speaks it: `protocol: AwsQueryProtocol` in its
 * runtime config, the model's `aws.protocols#awsQuery` trait): POST / with a form-encoded body
 * `Action=<Operation>&Version=<version>&...`, lists as `<Name>.member.N`, maps as
 * `<Name>.entry.N.<key name>` / `.<value name>`; the answer is XML
 * `<OperationResponse><OperationResult>...</OperationResult><ResponseMetadata><RequestId>` and errors
 * `<ErrorResponse><Error><Type>Sender</Type><Code>..</Code><Message>..</Message></Error><RequestId>`.
 */
export function queryHandler(definition: QueryService, gate: CallGate): ServiceHandler {
  return gatedHandler(
    definition.service,
    gate,
    (error, request) => queryError(definition, error, request),
    async (request, pass) => {
      const parameters = parseForm(request);
      const action = parameters.get('Action') ?? '';
      if (request.method !== 'POST' || !action) {
        throw new AwsError(
          'InvalidAction',
          `expected POST / with a form body naming Action=<Operation>, got ${request.method} ${request.path}`,
        );
      }
      const operation = definition.operations[action];
      if (!operation) {
        throw new AwsError(
          'InvalidAction',
          `the emulator's ${definition.service} does not implement ${action}; it implements ${Object.keys(definition.operations).join(', ')}`,
        );
      }
      const version = parameters.get('Version');
      if (version !== definition.version) {
        throw new AwsError(
          'InvalidParameterValue',
          `Version must be ${definition.version} for ${definition.service} (got ${version ?? 'none'})`,
        );
      }
      await pass(action);
      const result = await operation(parameters, request);
      const body = {
        [`${action}Response`]: {
          '@_xmlns': definition.xmlNamespace,
          [`${action}Result`]: result,
          ResponseMetadata: { RequestId: request.requestId },
        },
      };
      return xmlResponse(200, body, request);
    },
  );
}

function parseForm(request: AwsRequest): QueryParameters {
  const contentType = String(request.headers['content-type'] ?? '');
  if (request.body.length > 0 && !contentType.startsWith('application/x-www-form-urlencoded')) {
    throw new AwsError(
      'MalformedQueryString',
      `expected Content-Type application/x-www-form-urlencoded, got "${contentType}"`,
    );
  }
  const form = new URLSearchParams(request.body.toString('utf8'));
  const parameters: QueryParameters = new Map(request.query);
  for (const [key, value] of form) parameters.set(key, value);
  return parameters;
}

/** The entries of a `<name>.entry.N` map: each entry's parameters with the `<name>.entry.N.` prefix removed. */
export function mapEntries(parameters: QueryParameters, name: string): Map<string, string>[] {
  const entries: Map<string, string>[] = [];
  for (let n = 1; ; n++) {
    const prefix = `${name}.entry.${n}.`;
    const entry = new Map<string, string>();
    for (const [key, value] of parameters)
      if (key.startsWith(prefix)) entry.set(key.slice(prefix.length), value);
    if (entry.size === 0) return entries;
    entries.push(entry);
  }
}

function xmlResponse(status: number, body: object, request: AwsRequest): AwsResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': request.requestId },
    body: `<?xml version="1.0"?>${builder.build(body)}`,
  };
}

function queryError(definition: QueryService, error: unknown, request: AwsRequest): AwsResponse {
  const aws = asAwsError(error, 'InternalError');
  const body = {
    ErrorResponse: {
      '@_xmlns': definition.xmlNamespace,
      Error: { Type: aws.httpStatus >= 500 ? 'Receiver' : 'Sender', Code: aws.code, Message: aws.message },
      RequestId: request.requestId,
    },
  };
  return xmlResponse(aws.httpStatus, body, request);
}

/**
 * The one table that decides what an AWS error means for a retry policy, and the constructors of the
 * ApplicationFailures every activity throws. A failure's message is written for the Temporal UI:
 * "<service> <job> run <id> ended <STATE>: <AWS message> (<console url>)".
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { TemporalFailure } from '@temporalio/common';
import { type AwsFailureDetails, FailureType, NON_RETRYABLE_FAILURES } from '../core/errors';

export type AwsService = 'Glue' | 'EMR Serverless' | 'DMS' | 'AppFlow' | 'Redshift Data' | 'S3' | 'SNS';

/** AWS error names (the `name` of an SDK v3 ServiceException, i.e. the error code) by meaning. */
const ERROR_CODE_TABLE: Readonly<Record<string, FailureType>> = {
  // Throttling, per service and the generic AWS names.
  ThrottlingException: FailureType.AwsThrottled,
  Throttling: FailureType.AwsThrottled,
  ThrottledException: FailureType.AwsThrottled,
  TooManyRequestsException: FailureType.AwsThrottled,
  ProvisionedThroughputExceeded: FailureType.AwsThrottled,
  ProvisionedThroughputExceededException: FailureType.AwsThrottled,
  SlowDown: FailureType.AwsThrottled,
  RequestLimitExceeded: FailureType.AwsThrottled,
  RequestThrottled: FailureType.AwsThrottled,
  RequestThrottledException: FailureType.AwsThrottled,
  BandwidthLimitExceeded: FailureType.AwsThrottled,
  KMSThrottlingFault: FailureType.AwsThrottled,
  PriorRequestNotComplete: FailureType.AwsThrottled,

  // Server side and transport trouble.
  InternalServerException: FailureType.AwsServiceUnavailable,
  InternalServiceException: FailureType.AwsServiceUnavailable,
  InternalServerError: FailureType.AwsServiceUnavailable,
  InternalFailure: FailureType.AwsServiceUnavailable,
  InternalError: FailureType.AwsServiceUnavailable,
  ServiceUnavailable: FailureType.AwsServiceUnavailable,
  ServiceUnavailableException: FailureType.AwsServiceUnavailable,
  ServiceException: FailureType.AwsServiceUnavailable,
  OperationTimeoutException: FailureType.AwsServiceUnavailable,
  RequestTimeout: FailureType.AwsServiceUnavailable,
  RequestTimeoutException: FailureType.AwsServiceUnavailable,
  TimeoutError: FailureType.AwsServiceUnavailable,
  NetworkingError: FailureType.AwsServiceUnavailable,
  FederationSourceRetryableException: FailureType.AwsServiceUnavailable,
  DatabaseConnectionException: FailureType.AwsServiceUnavailable,
  QueryTimeoutException: FailureType.AwsServiceUnavailable,
  BatchExecuteStatementException: FailureType.AwsServiceUnavailable,
  ExecuteStatementException: FailureType.AwsServiceUnavailable,
  ConnectorServerException: FailureType.AwsServiceUnavailable,
  InsufficientResourceCapacityFault: FailureType.AwsServiceUnavailable,
  // Expired session credentials are refreshed by the SDK's credential provider on the next attempt.
  ExpiredToken: FailureType.AwsServiceUnavailable,
  ExpiredTokenException: FailureType.AwsServiceUnavailable,

  // Concurrency and quota limits that clear when other runs finish.
  ConcurrentRunsExceededException: FailureType.AwsConcurrencyLimit,
  ServiceQuotaExceededException: FailureType.AwsConcurrencyLimit,
  ResourceNumberLimitExceededException: FailureType.AwsConcurrencyLimit,
  ActiveStatementsExceededException: FailureType.AwsConcurrencyLimit,
  ActiveSessionsExceededException: FailureType.AwsConcurrencyLimit,
  ConcurrentModificationException: FailureType.AwsConcurrencyLimit,
  // A resource in a state that passes (a DMS task still starting or stopping): retried, bounded by the
  // stage's retry policy, with its backoff; failing at once would fail a date for a task's passing state.
  InvalidResourceStateFault: FailureType.AwsConcurrencyLimit,
  // EMR Serverless StartJobRun and AppFlow StartFlow: ConflictException, "conflict in the current
  // state of the resource" (emr-serverless/2021-07-13, appflow/2020-08-23 service-2.json); and
  // InvalidStateException: states that pass, retried the same way.
  ConflictException: FailureType.AwsConcurrencyLimit,
  InvalidStateException: FailureType.AwsConcurrencyLimit,

  // The request itself is wrong: fix the configuration.
  ValidationException: FailureType.AwsInvalidRequest,
  InvalidInputException: FailureType.AwsInvalidRequest,
  InvalidParameterException: FailureType.AwsInvalidRequest,
  InvalidParameterValueException: FailureType.AwsInvalidRequest,
  InvalidParameterValue: FailureType.AwsInvalidRequest,
  InvalidParameterCombination: FailureType.AwsInvalidRequest,
  InvalidRequestException: FailureType.AwsInvalidRequest,
  InvalidArgument: FailureType.AwsInvalidRequest,
  InvalidBucketName: FailureType.AwsInvalidRequest,
  InvalidObjectState: FailureType.AwsInvalidRequest,
  InvalidOperationFault: FailureType.AwsInvalidRequest,
  IdempotentParameterMismatchException: FailureType.AwsInvalidRequest,
  IdempotentParameterMismatch: FailureType.AwsInvalidRequest,
  UnsupportedOperationException: FailureType.AwsInvalidRequest,
  OperationNotSupportedException: FailureType.AwsInvalidRequest,
  MalformedPolicy: FailureType.AwsInvalidRequest,

  // Missing resources.
  EntityNotFoundException: FailureType.AwsNotFound,
  ResourceNotFoundException: FailureType.AwsNotFound,
  ResourceNotFoundFault: FailureType.AwsNotFound,
  S3ResourceNotFoundFault: FailureType.AwsNotFound,
  KMSNotFoundFault: FailureType.AwsNotFound,
  NoSuchKey: FailureType.AwsNotFound,
  NoSuchBucket: FailureType.AwsNotFound,
  NotFound: FailureType.AwsNotFound,
  // SNS Publish to a topic that does not exist (sns/2010-03-31: NotFoundException, code NotFound).
  NotFoundException: FailureType.AwsNotFound,

  // Permissions.
  AccessDenied: FailureType.AwsAccessDenied,
  AccessDeniedException: FailureType.AwsAccessDenied,
  AccessDeniedFault: FailureType.AwsAccessDenied,
  S3AccessDeniedFault: FailureType.AwsAccessDenied,
  KMSAccessDeniedFault: FailureType.AwsAccessDenied,
  SNSNoAuthorizationFault: FailureType.AwsAccessDenied,
  // SNS: no sns:Publish on the topic (code AuthorizationError).
  AuthorizationErrorException: FailureType.AwsAccessDenied,
  UnauthorizedOperation: FailureType.AwsAccessDenied,
  UnrecognizedClientException: FailureType.AwsAccessDenied,
  InvalidClientTokenId: FailureType.AwsAccessDenied,
  InvalidAccessKeyId: FailureType.AwsAccessDenied,
  SignatureDoesNotMatch: FailureType.AwsAccessDenied,
  ConnectorAuthenticationException: FailureType.AwsAccessDenied,
};

/** Node / undici socket error codes: the endpoint could not be reached or dropped the connection. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface AwsErrorFacts {
  /** The AWS error code (SDK error name), or the socket error code. */
  code: string;
  message: string;
  httpStatus?: number;
}

function awsErrorFacts(error: unknown): AwsErrorFacts {
  if (!(error instanceof Error)) return { code: 'UnknownError', message: String(error) };
  const shaped = error as Error & { code?: unknown; $metadata?: { httpStatusCode?: number } };
  const networkCode =
    typeof shaped.code === 'string' && NETWORK_ERROR_CODES.has(shaped.code) ? shaped.code : undefined;
  const httpStatus = shaped.$metadata?.httpStatusCode;
  return {
    code: networkCode ?? error.name,
    message: error.message || error.name,
    ...(httpStatus !== undefined ? { httpStatus } : {}),
  };
}

export function classifyAwsError(error: unknown): FailureType {
  const facts = awsErrorFacts(error);
  const byName = ERROR_CODE_TABLE[facts.code];
  if (byName) return byName;
  if (NETWORK_ERROR_CODES.has(facts.code)) return FailureType.AwsServiceUnavailable;
  const shaped = error as { $retryable?: { throttling?: boolean }; $fault?: string };
  if (shaped.$retryable?.throttling) return FailureType.AwsThrottled;
  const status = facts.httpStatus;
  if (status === 429) return FailureType.AwsThrottled;
  if (status === 401 || status === 403) return FailureType.AwsAccessDenied;
  if (status === 404) return FailureType.AwsNotFound;
  if (status !== undefined && status >= 500) return FailureType.AwsServiceUnavailable;
  if ((status !== undefined && status >= 400) || shaped.$fault === 'client')
    return FailureType.AwsInvalidRequest;
  // Unknown trouble without an AWS verdict: let the stage's retry policy (bounded) try again.
  return FailureType.AwsServiceUnavailable;
}

function isNonRetryable(type: FailureType): boolean {
  return NON_RETRYABLE_FAILURES.includes(type);
}

/** What a failure is about: the service, the job (or object) and, once known, the run. */
export interface FailureSubject {
  service: AwsService;
  /** Job, flow, task, statement name or S3 URI. */
  job: string;
  runId?: string;
  consoleUrl?: string;
}

function withLink(text: string, consoleUrl: string | undefined): string {
  return consoleUrl ? `${text} (${consoleUrl})` : text;
}

function failureDetails(
  subject: FailureSubject,
  message: string,
  extra: { state?: string; code?: string },
): AwsFailureDetails {
  return {
    service: subject.service,
    message,
    ...(subject.runId !== undefined ? { awsRunId: subject.runId } : {}),
    ...(extra.state !== undefined ? { awsState: extra.state } : {}),
    ...(extra.code !== undefined ? { awsErrorCode: extra.code } : {}),
    ...(subject.consoleUrl !== undefined ? { consoleUrl: subject.consoleUrl } : {}),
  };
}

/** The AWS run ended in a failure state (Glue FAILED, EMR CANCELLED, DMS failed, ...): rerun to retry. */
export function runEndedFailure(
  subject: FailureSubject & { runId: string },
  state: string,
  awsMessage: string,
  foundByRunKey = false,
) {
  return ApplicationFailure.create({
    type: FailureType.AwsJobFailed,
    nonRetryable: isNonRetryable(FailureType.AwsJobFailed),
    message: withLink(
      `${subject.service} ${subject.job} run ${subject.runId} ended ${state}: ${awsMessage}`,
      subject.consoleUrl,
    ),
    details: [
      { ...failureDetails(subject, awsMessage, { state }), ...(foundByRunKey ? { foundByRunKey } : {}) },
    ],
  });
}

/**
 * Any error thrown by an AWS call, as an ApplicationFailure typed by the table above. Temporal
 * failures (an ApplicationFailure thrown deeper, a cancellation) pass through unchanged.
 */
export function awsCallFailure(error: unknown, subject: FailureSubject, operation: string): Error {
  if (error instanceof TemporalFailure || error instanceof CancelledFailure) return error;
  const facts = awsErrorFacts(error);
  const type = classifyAwsError(error);
  const run = subject.runId !== undefined ? ` run ${subject.runId}` : '';
  return ApplicationFailure.create({
    type,
    nonRetryable: isNonRetryable(type),
    message: withLink(
      `${subject.service} ${subject.job}${run}: ${operation} failed with ${facts.code}: ${facts.message}`,
      subject.consoleUrl,
    ),
    details: [failureDetails(subject, facts.message, { code: facts.code })],
    ...(error instanceof Error ? { cause: error } : {}),
  });
}

/** A failure this code detects itself (nothing landed, bad metrics file, ...), typed explicitly. */
export function detectedFailure(type: FailureType, subject: FailureSubject, message: string, state?: string) {
  return ApplicationFailure.create({
    type,
    nonRetryable: isNonRetryable(type),
    message: withLink(`${subject.service} ${subject.job}: ${message}`, subject.consoleUrl),
    details: [failureDetails(subject, message, state !== undefined ? { state } : {})],
  });
}

/** The AWS error code recorded on a failure built here, e.g. to recognise CrawlerRunningException. */
export function awsErrorCodeOf(error: unknown): string | undefined {
  if (!(error instanceof ApplicationFailure)) return undefined;
  const details = error.details?.[0] as Partial<AwsFailureDetails> | undefined;
  return details?.awsErrorCode;
}

import {
  ConflictException as AppFlowConflictException,
  ThrottlingException as AppFlowThrottling,
} from '@aws-sdk/client-appflow';
import {
  AccessDeniedFault,
  InvalidResourceStateFault,
  ResourceNotFoundFault,
} from '@aws-sdk/client-database-migration-service';
import {
  ConflictException as EmrConflictException,
  ServiceQuotaExceededException,
  ValidationException,
} from '@aws-sdk/client-emr-serverless';
import {
  AccessDeniedException,
  ConcurrentRunsExceededException,
  EntityNotFoundException,
  InternalServiceException,
  InvalidInputException,
  ThrottlingException,
} from '@aws-sdk/client-glue';
import { ActiveStatementsExceededException } from '@aws-sdk/client-redshift-data';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { FailureType, NON_RETRYABLE_FAILURES } from '../../core/errors';
import { awsCallFailure, classifyAwsError, runEndedFailure } from '../../activities/aws-errors';

const meta = { $metadata: {} };

function serviceError(
  name: string,
  status: number,
  fault: 'client' | 'server' = status >= 500 ? 'server' : 'client',
) {
  return new S3ServiceException({
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
    message: `${name} happened`,
  });
}

function socketError(code: string) {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:4566`), { code });
}

describe('classifyAwsError', () => {
  it.each([
    [
      'Glue ThrottlingException',
      new ThrottlingException({ message: 'Rate exceeded', ...meta }),
      FailureType.AwsThrottled,
    ],
    [
      'AppFlow ThrottlingException',
      new AppFlowThrottling({ message: 'slow down', ...meta }),
      FailureType.AwsThrottled,
    ],
    ['TooManyRequestsException', serviceError('TooManyRequestsException', 429), FailureType.AwsThrottled],
    [
      'ProvisionedThroughputExceeded',
      serviceError('ProvisionedThroughputExceeded', 400),
      FailureType.AwsThrottled,
    ],
    ['S3 SlowDown', serviceError('SlowDown', 503), FailureType.AwsThrottled],
    ['RequestLimitExceeded', serviceError('RequestLimitExceeded', 400), FailureType.AwsThrottled],
    ['unnamed 429', serviceError('Unknown', 429), FailureType.AwsThrottled],
    [
      'Glue InternalServiceException',
      new InternalServiceException({ message: 'oops', ...meta }),
      FailureType.AwsServiceUnavailable,
    ],
    ['unnamed 502', serviceError('Unknown', 502), FailureType.AwsServiceUnavailable],
    ['socket reset', socketError('ECONNRESET'), FailureType.AwsServiceUnavailable],
    ['connection refused', socketError('ECONNREFUSED'), FailureType.AwsServiceUnavailable],
    [
      'SDK timeout',
      Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
      FailureType.AwsServiceUnavailable,
    ],
    [
      'ConcurrentRunsExceeded',
      new ConcurrentRunsExceededException({ message: 'max 1', ...meta }),
      FailureType.AwsConcurrencyLimit,
    ],
    [
      'EMR ServiceQuotaExceeded',
      new ServiceQuotaExceededException({ message: 'vCPU', ...meta }),
      FailureType.AwsConcurrencyLimit,
    ],
    [
      'Redshift ActiveStatementsExceeded',
      new ActiveStatementsExceededException({ message: '200', ...meta }),
      FailureType.AwsConcurrencyLimit,
    ],
    [
      'EMR ValidationException',
      new ValidationException({ message: 'bad role', ...meta }),
      FailureType.AwsInvalidRequest,
    ],
    [
      'Glue InvalidInputException',
      new InvalidInputException({ message: 'bad arg', ...meta }),
      FailureType.AwsInvalidRequest,
    ],
    [
      // A transient state (the task is starting or stopping), retried with backoff.
      'DMS InvalidResourceStateFault',
      new InvalidResourceStateFault({ message: 'not stopped', ...meta }),
      FailureType.AwsConcurrencyLimit,
    ],
    // emr-serverless/2021-07-13 StartJobRun and appflow/2020-08-23 StartFlow raise ConflictException,
    // "conflict in the current state of the resource": a state that passes, retried with backoff.
    [
      'EMR Serverless ConflictException',
      new EmrConflictException({ message: 'application is starting', ...meta }),
      FailureType.AwsConcurrencyLimit,
    ],
    [
      'AppFlow ConflictException',
      new AppFlowConflictException({ message: 'flow is being updated', ...meta }),
      FailureType.AwsConcurrencyLimit,
    ],
    ['InvalidStateException', serviceError('InvalidStateException', 400), FailureType.AwsConcurrencyLimit],
    ['unnamed 400', serviceError('Unknown', 400), FailureType.AwsInvalidRequest],
    [
      'Glue EntityNotFoundException',
      new EntityNotFoundException({ message: 'no job', ...meta }),
      FailureType.AwsNotFound,
    ],
    [
      'DMS ResourceNotFoundFault',
      new ResourceNotFoundFault({ message: 'no task', ...meta }),
      FailureType.AwsNotFound,
    ],
    ['unnamed 404', serviceError('Unknown', 404), FailureType.AwsNotFound],
    [
      'Glue AccessDeniedException',
      new AccessDeniedException({ message: 'no', ...meta }),
      FailureType.AwsAccessDenied,
    ],
    ['DMS AccessDeniedFault', new AccessDeniedFault({ message: 'no', ...meta }), FailureType.AwsAccessDenied],
    ['S3 AccessDenied', serviceError('AccessDenied', 403), FailureType.AwsAccessDenied],
  ])('%s', (_label, error, expected) => {
    expect(classifyAwsError(error)).toBe(expected);
  });

  it('retries throttling, 5xx and concurrency limits but not request, not-found or permission errors', () => {
    const retryable = [
      FailureType.AwsThrottled,
      FailureType.AwsServiceUnavailable,
      FailureType.AwsConcurrencyLimit,
    ];
    const final = [FailureType.AwsInvalidRequest, FailureType.AwsNotFound, FailureType.AwsAccessDenied];
    for (const type of retryable) expect(NON_RETRYABLE_FAILURES).not.toContain(type);
    for (const type of final) expect(NON_RETRYABLE_FAILURES).toContain(type);
  });
});

describe('failures', () => {
  const subject = {
    service: 'Glue' as const,
    job: 'silver-orders',
    runId: 'jr_1',
    consoleUrl:
      'https://eu-west-1.console.aws.amazon.com/gluestudio/home?region=eu-west-1#/job/silver-orders/run/jr_1',
  };

  it('reads "<service> <job> run <id> ended <STATE>: <message> (<url>)" and carries AwsFailureDetails', () => {
    const failure = runEndedFailure(subject, 'FAILED', 'AnalysisException: table not found');
    expect(failure.message).toBe(
      `Glue silver-orders run jr_1 ended FAILED: AnalysisException: table not found (${subject.consoleUrl})`,
    );
    expect(failure.type).toBe(FailureType.AwsJobFailed);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details?.[0]).toEqual({
      service: 'Glue',
      awsRunId: 'jr_1',
      awsState: 'FAILED',
      message: 'AnalysisException: table not found',
      consoleUrl: subject.consoleUrl,
    });
  });

  it('names the operation and the AWS error code of a failed call', () => {
    const failure = awsCallFailure(
      new ThrottlingException({ message: 'Rate exceeded', ...meta }),
      subject,
      'GetJobRun',
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    const app = failure as ApplicationFailure;
    expect(app.type).toBe(FailureType.AwsThrottled);
    expect(app.nonRetryable).toBe(false);
    expect(app.message).toBe(
      `Glue silver-orders run jr_1: GetJobRun failed with ThrottlingException: Rate exceeded (${subject.consoleUrl})`,
    );
    expect(app.details?.[0]).toMatchObject({ awsErrorCode: 'ThrottlingException', awsRunId: 'jr_1' });
  });

  it('passes Temporal failures through unchanged', () => {
    const cancelled = new CancelledFailure('CANCELLED');
    const already = ApplicationFailure.nonRetryable('x', FailureType.InvalidConfig);
    expect(awsCallFailure(cancelled, subject, 'GetJobRun')).toBe(cancelled);
    expect(awsCallFailure(already, subject, 'GetJobRun')).toBe(already);
  });
});

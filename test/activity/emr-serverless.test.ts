import {
  CancelJobRunCommand,
  ConflictException,
  EMRServerlessClient,
  EMRServerlessServiceException,
  GetJobRunCommand,
  InternalServerException,
  type JobRun,
  type JobRunSummary,
  ListJobRunsCommand,
  type JobRunState,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  StartJobRunCommand,
  ValidationException,
} from '@aws-sdk/client-emr-serverless';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FailureType } from '../../core/errors';
import type { EmrServerlessStageInput } from '../../core/stage-io';
import { createEmrServerlessActivities } from '../../activities/emr-serverless';
import { createS3Activities } from '../../activities/s3';
import {
  cancelAtState,
  clientConfig,
  expectCancelled,
  expectFailure,
  FAST_POLL,
  harness,
  identity,
  jsonBody,
  previousAttempt,
  sendOptionsOf,
  workerShutdown,
} from '../support/activity-harness';

const emr = new EMRServerlessClient(clientConfig);
const s3 = new S3Client(clientConfig);
const emrMock = mockClient(emr);
const s3Mock = mockClient(s3);
const { runEmrServerlessStage } = createEmrServerlessActivities({
  emrServerless: emr,
  s3: createS3Activities(s3),
});

const gold = identity('gold_daily_sales');
const input = (overrides: Partial<EmrServerlessStageInput> = {}): EmrServerlessStageInput => ({
  kind: 'emr-serverless',
  identity: gold,
  poll: FAST_POLL,
  applicationId: '00fabc123',
  executionRoleArn: 'arn:aws:iam::123456789012:role/emr-job',
  jobName: 'gold_daily_sales',
  entryPoint: 's3://code/sql_runner.py',
  entryPointArguments: ['--manifest', '{"sql":"select 1"}'],
  metrics: { metricsUri: 's3://lake/_medallion/metrics/shop/2024-05-02/gold_daily_sales.json' },
  ...overrides,
});
const meta = { $metadata: {} };
const link =
  'https://eu-west-1.console.aws.amazon.com/emr/home?region=eu-west-1#/serverless/applications/00fabc123/job-runs/run-1';

function run(state: JobRunState, stateDetails = ''): { jobRun: JobRun } {
  return {
    jobRun: {
      applicationId: '00fabc123',
      jobRunId: 'run-1',
      arn: 'arn',
      createdBy: 'me',
      createdAt: new Date(),
      updatedAt: new Date(),
      executionRole: 'role',
      state,
      stateDetails,
      releaseLabel: 'emr-7.0.0',
      jobDriver: {
        sparkSubmit: {
          entryPoint: 's3://code/sql_runner.py',
          entryPointArguments: ['--manifest', '{"sql":"select 1"}'],
        },
      },
      tags: { medallion_run_key: gold.runKey },
      totalResourceUtilization: { vCPUHour: 1.5, memoryGBHour: 6 },
    },
  };
}

function summary(id: string, name: string): JobRunSummary {
  const { jobRun } = run('RUNNING');
  return { ...jobRun, id, name, type: 'Spark' };
}

function states(...list: [JobRunState, string?][]) {
  const behavior = emrMock.on(GetJobRunCommand);
  for (const [state, details] of list.slice(0, -1)) behavior.resolvesOnce(run(state, details));
  const [last, details] = list.at(-1)!;
  behavior.resolves(run(last, details));
}

beforeEach(() => {
  emrMock.reset();
  s3Mock.reset();
  emrMock.on(StartJobRunCommand).resolves({ applicationId: '00fabc123', jobRunId: 'run-1', arn: 'arn' });
  emrMock.on(ListJobRunsCommand).resolves({ jobRuns: [] });
  s3Mock.on(GetObjectCommand).resolves(jsonBody({ rowsIn: 5, rowsOut: 5, quarantined: 0 }));
});

describe('runEmrServerlessStage', () => {
  it.each<JobRunState[]>([
    ['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING', 'SUCCESS'],
    ['QUEUED', 'RUNNING', 'SUCCESS'],
  ])('starts with clientToken = run key and polls to SUCCESS (%s ...)', async (...path) => {
    states(...path.map((s): [JobRunState] => [s]));
    const h = harness();
    const result = await h.run(runEmrServerlessStage, input());
    const start = emrMock.commandCalls(StartJobRunCommand);
    expect(start[0]!.args[0].input).toEqual({
      applicationId: '00fabc123',
      executionRoleArn: 'arn:aws:iam::123456789012:role/emr-job',
      clientToken: gold.runKey,
      name: 'gold_daily_sales',
      jobDriver: {
        sparkSubmit: {
          entryPoint: 's3://code/sql_runner.py',
          entryPointArguments: ['--manifest', '{"sql":"select 1"}'],
        },
      },
      tags: { medallion_run_key: gold.runKey },
    });
    expect(sendOptionsOf(start[0]!)?.abortSignal).toBe(h.env.context.cancellationSignal);
    expect(result).toMatchObject({
      awsRunId: 'run-1',
      awsState: 'SUCCESS',
      rowsIn: 5,
      rowsOut: 5,
      quarantined: 0,
      consoleUrl: link,
      details: { statusCalls: path.length, vCpuHours: 1.5, memoryGbHours: 6 },
    });
    expect(h.heartbeats[0]).toMatchObject({ awsRunId: 'run-1', awsState: 'STARTED' });
  });

  it('sends the same clientToken on every attempt, so a repeated start returns the same run', async () => {
    states(['SUCCESS']);
    await harness().run(runEmrServerlessStage, input());
    await harness().run(runEmrServerlessStage, input());
    const tokens = emrMock.commandCalls(StartJobRunCommand).map((c) => c.args[0].input.clientToken);
    expect(tokens).toEqual([gold.runKey, gold.runKey]);
  });

  it.each<[JobRunState, string]>([
    ['FAILED', 'Job failed: AnalysisException: column x not found'],
    ['CANCELLED', 'Job run cancelled because it exceeded executionTimeoutMinutes (720)'],
  ])('fails without retry when the run ends %s, quoting stateDetails', async (state, details) => {
    states(['RUNNING'], [state, details]);
    await expectFailure(harness().run(runEmrServerlessStage, input()), {
      type: FailureType.AwsJobFailed,
      nonRetryable: true,
      messageIncludes: [`EMR Serverless gold_daily_sales run run-1 ended ${state}: ${details} (${link})`],
      details: { awsRunId: 'run-1', awsState: state, consoleUrl: link },
    });
  });

  // API reference, JobRunState (emr-serverless/2021-07-13 service-2.json): CANCELLING precedes CANCELLED;
  // the Spark job keeps running (and writing) until the run is CANCELLED.
  it('waits through CANCELLING (a cancel from elsewhere, a timeout) and fails only at CANCELLED', async () => {
    states(['RUNNING'], ['CANCELLING'], ['CANCELLING'], ['CANCELLING'], ['CANCELLED', 'Cancelled by user']);
    await expectFailure(harness().run(runEmrServerlessStage, input()), {
      type: FailureType.AwsJobFailed,
      nonRetryable: true,
      messageIncludes: ['run run-1 ended CANCELLED: Cancelled by user'],
      details: { awsState: 'CANCELLED' },
    });
    expect(emrMock.commandCalls(GetJobRunCommand)).toHaveLength(5);
    expect(emrMock.commandCalls(CancelJobRunCommand)).toHaveLength(0);
  });

  // emr-serverless/2021-07-13 StartJobRunRequest.clientToken (idempotencyToken): "Its value must be
  // unique for each request". Reusing it for a changed request is answered with StartJobRun's
  // ConflictException ("conflict in the current state of the resource"; the emulator does so), or with
  // the earlier run: either way the earlier run is of another manifest and must not be attached to.
  describe('the run key names a run started with another manifest', () => {
    const otherManifest = (): { jobRun: JobRun } => {
      const earlier = run('RUNNING');
      earlier.jobRun.jobDriver = {
        sparkSubmit: {
          entryPoint: 's3://code/sql_runner.py',
          entryPointArguments: ['--manifest', '{"sql":"select 0"}'],
        },
      };
      return earlier;
    };

    it('on ConflictException finds that run by its run key tag and refuses it, naming the run and the fix', async () => {
      emrMock
        .on(StartJobRunCommand)
        .rejects(new ConflictException({ message: 'clientToken reused', ...meta }));
      emrMock.on(ListJobRunsCommand).resolves({
        jobRuns: [summary('run-0', 'other_stage'), summary('run-1', 'gold_daily_sales')],
      });
      emrMock.on(GetJobRunCommand).resolves(otherManifest());
      const identityWithPlan = { ...gold, plannedAt: '2024-05-03T02:00:00.000Z' };
      await expectFailure(harness().run(runEmrServerlessStage, input({ identity: identityWithPlan })), {
        type: FailureType.InvalidConfig,
        nonRetryable: true,
        messageIncludes: ["run run-1 (RUNNING) was started for this stage's run key", 'rerun the date'],
      });
      expect(emrMock.commandCalls(ListJobRunsCommand)[0]!.args[0].input).toMatchObject({
        applicationId: '00fabc123',
        createdAtAfter: new Date('2024-05-03T01:45:00.000Z'),
      });
      expect(emrMock.commandCalls(GetJobRunCommand).map((c) => c.args[0].input.jobRunId)).toEqual(['run-1']);
    });

    it('on ConflictException attaches to the run of the same request (a conflict of another kind)', async () => {
      emrMock.on(StartJobRunCommand).rejects(new ConflictException({ message: 'busy', ...meta }));
      emrMock.on(ListJobRunsCommand).resolves({ jobRuns: [summary('run-1', 'gold_daily_sales')] });
      states(['SUCCESS']);
      const result = await harness().run(runEmrServerlessStage, input());
      expect(result).toMatchObject({ awsRunId: 'run-1', attached: true, awsState: 'SUCCESS' });
    });

    it('refuses a replayed run of another request on the first status call', async () => {
      emrMock.on(GetJobRunCommand).resolves(otherManifest());
      await expectFailure(harness().run(runEmrServerlessStage, input()), {
        type: FailureType.InvalidConfig,
        nonRetryable: true,
        messageIncludes: ['other job arguments'],
      });
    });
  });

  it('resumes from heartbeat details without StartJobRun', async () => {
    states(['RUNNING'], ['SUCCESS']);
    const h = harness(
      previousAttempt({
        awsRunId: 'run-1',
        awsState: 'RUNNING',
        startedAt: '2024-05-03T02:00:00.000Z',
        polls: 3,
      }),
    );
    const result = await h.run(runEmrServerlessStage, input());
    expect(emrMock.commandCalls(StartJobRunCommand)).toHaveLength(0);
    expect(result).toMatchObject({ attached: true, details: { statusCalls: 5 } });
  });

  it('cancels the job run when the workflow cancels and waits for CANCELLED', async () => {
    let cancelRequested = false;
    emrMock.on(CancelJobRunCommand).callsFake(() => {
      cancelRequested = true;
      return Promise.resolve({ applicationId: '00fabc123', jobRunId: 'run-1' });
    });
    let after = 0;
    emrMock
      .on(GetJobRunCommand)
      .callsFake(() =>
        Promise.resolve(run(!cancelRequested ? 'RUNNING' : after++ < 2 ? 'CANCELLING' : 'CANCELLED')),
      );
    const h = harness();
    cancelAtState(h, 'RUNNING');
    await expectCancelled(h.run(runEmrServerlessStage, input()));
    expect(emrMock.commandCalls(CancelJobRunCommand)[0]!.args[0].input).toEqual({
      applicationId: '00fabc123',
      jobRunId: 'run-1',
    });
    // CANCELLING is not the end: the wait goes on to CANCELLED.
    expect(after).toBe(3);
  });

  it('leaves the job running on worker shutdown', async () => {
    states(['RUNNING']);
    const h = harness();
    cancelAtState(h, 'RUNNING', workerShutdown());
    await expectCancelled(h.run(runEmrServerlessStage, input()));
    expect(emrMock.commandCalls(CancelJobRunCommand)).toHaveLength(0);
  });

  it.each([
    [
      'throttling',
      new EMRServerlessServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        ...meta,
      }),
      FailureType.AwsThrottled,
      false,
    ],
    [
      'a 5xx',
      new InternalServerException({ message: 'try later', ...meta }),
      FailureType.AwsServiceUnavailable,
      false,
    ],
    [
      'the vCPU quota',
      new ServiceQuotaExceededException({ message: 'max vCPU', ...meta }),
      FailureType.AwsConcurrencyLimit,
      false,
    ],
    // emr-serverless/2021-07-13 StartJobRun: ConflictException, "conflict in the current state of the
    // resource", passes (defect 6): retried with the stage's backoff.
    [
      "a conflict in the application's state",
      new ConflictException({ message: 'application is starting', ...meta }),
      FailureType.AwsConcurrencyLimit,
      false,
    ],
    [
      'validation',
      new ValidationException({ message: 'bad entryPoint', ...meta }),
      FailureType.AwsInvalidRequest,
      true,
    ],
    [
      'a missing application',
      new ResourceNotFoundException({ message: 'no app', ...meta }),
      FailureType.AwsNotFound,
      true,
    ],
  ])('classifies %s on StartJobRun', async (_label, error, type, nonRetryable) => {
    emrMock.on(StartJobRunCommand).rejects(error);
    await expectFailure(harness().run(runEmrServerlessStage, input()), {
      type,
      nonRetryable,
      messageIncludes: [`StartJobRun failed with ${error.name}: ${error.message}`],
    });
  });

  it('refuses an execution role that is not an ARN, naming the field', async () => {
    await expectFailure(harness().run(runEmrServerlessStage, input({ executionRoleArn: 'emr-job' })), {
      type: FailureType.InvalidConfig,
      nonRetryable: true,
      messageIncludes: ['executionRoleArn'],
    });
  });
});

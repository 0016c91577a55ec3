import {
  AccessDeniedException,
  BatchStopJobRunCommand,
  ConcurrentRunsExceededException,
  CrawlerRunningException,
  EntityNotFoundException,
  GetCrawlerCommand,
  GetJobCommand,
  GetJobRunCommand,
  GetJobRunsCommand,
  GlueClient,
  InternalServiceException,
  InvalidInputException,
  type JobRunState,
  StartCrawlerCommand,
  StartJobRunCommand,
  ThrottlingException,
} from '@aws-sdk/client-glue';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FailureType } from '../../core/errors';
import { GLUE_RUN_KEY_ARGUMENT } from '../../core/job-manifest';
import type { GlueStageInput } from '../../core/stage-io';
import { createGlueActivities } from '../../activities/glue';
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

const glue = new GlueClient(clientConfig);
const s3 = new S3Client(clientConfig);
const glueMock = mockClient(glue);
const s3Mock = mockClient(s3);
const { runGlueStage } = createGlueActivities({ glue, s3: createS3Activities(s3) });

const metricsUri = 's3://lake/_medallion/metrics/shop/2024-05-02/silver_orders.json';
const input = (overrides: Partial<GlueStageInput> = {}): GlueStageInput => ({
  kind: 'glue',
  identity: identity(),
  poll: FAST_POLL,
  jobName: 'medallion-sql-runner',
  arguments: { '--medallion_manifest': '{"sql":"select 1"}' },
  metrics: { metricsUri },
  ...overrides,
});
const runKey = identity().runKey;
const meta = { $metadata: {} };

function jobStates(...states: JobRunState[]) {
  const behavior = glueMock.on(GetJobRunCommand);
  for (const state of states.slice(0, -1))
    behavior.resolvesOnce({ JobRun: { Id: 'jr_new', JobRunState: state } });
  behavior.resolves({
    JobRun: { Id: 'jr_new', JobRunState: states.at(-1), ErrorMessage: 'Spark said no', ExecutionTime: 42 },
  });
}

beforeEach(() => {
  glueMock.reset();
  s3Mock.reset();
  glueMock.on(GetJobRunsCommand).resolves({ JobRuns: [] });
  glueMock.on(GetJobCommand).resolves({ Job: { Name: 'medallion-sql-runner', MaxRetries: 0 } });
  glueMock.on(StartJobRunCommand).resolves({ JobRunId: 'jr_new' });
  s3Mock.on(GetObjectCommand).resolves(jsonBody({ rowsIn: 10, rowsOut: 9, quarantined: 1 }));
});

describe('runGlueStage', () => {
  it.each<JobRunState[]>([
    ['STARTING', 'RUNNING', 'SUCCEEDED'],
    ['WAITING', 'RUNNING', 'SUCCEEDED'],
    ['RUNNING', 'STOPPING', 'SUCCEEDED'],
  ])('starts the job with the run key argument and polls %s -> %s -> %s', async (...states) => {
    jobStates(...states);
    const h = harness();
    const result = await h.run(runGlueStage, input());
    const start = glueMock.commandCalls(StartJobRunCommand);
    expect(start).toHaveLength(1);
    expect(start[0]!.args[0].input).toEqual({
      JobName: 'medallion-sql-runner',
      Arguments: { '--medallion_manifest': '{"sql":"select 1"}', [GLUE_RUN_KEY_ARGUMENT]: runKey },
    });
    expect(sendOptionsOf(start[0]!)?.abortSignal).toBe(h.env.context.cancellationSignal);
    expect(result).toMatchObject({
      stageId: 'silver_orders',
      awsRunId: 'jr_new',
      awsState: 'SUCCEEDED',
      attached: false,
      rowsIn: 10,
      rowsOut: 9,
      quarantined: 1,
      details: { statusCalls: 3, executionTimeSeconds: 42 },
    });
    expect(result.consoleUrl).toBe(
      'https://eu-west-1.console.aws.amazon.com/gluestudio/home?region=eu-west-1#/job/medallion-sql-runner/run/jr_new',
    );
    expect(h.heartbeats[0]).toMatchObject({ awsRunId: 'jr_new', polls: 0 });
    expect(s3Mock.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'lake',
      Key: '_medallion/metrics/shop/2024-05-02/silver_orders.json',
    });
  });

  it.each<JobRunState>(['FAILED', 'ERROR', 'TIMEOUT', 'STOPPED', 'EXPIRED'])(
    'fails without retry when the run ends %s, with run id, state, message and link',
    async (state) => {
      jobStates('RUNNING', state);
      await expectFailure(harness().run(runGlueStage, input()), {
        type: FailureType.AwsJobFailed,
        nonRetryable: true,
        messageIncludes: [
          `Glue medallion-sql-runner run jr_new ended ${state}: Spark said no`,
          '(https://eu-west-1.console.aws.amazon.com/gluestudio/home?region=eu-west-1#/job/medallion-sql-runner/run/jr_new)',
        ],
        details: { service: 'Glue', awsRunId: 'jr_new', awsState: state, message: 'Spark said no' },
      });
    },
  );

  it('attaches to the run carrying its run key, found on a later GetJobRuns page', async () => {
    glueMock
      .on(GetJobRunsCommand)
      .resolvesOnce({
        JobRuns: [{ Id: 'jr_other', Arguments: { [GLUE_RUN_KEY_ARGUMENT]: 'md-someone-else' } }],
        NextToken: 'p2',
      })
      .resolves({
        JobRuns: [
          {
            Id: 'jr_mine',
            Arguments: { [GLUE_RUN_KEY_ARGUMENT]: runKey },
            StartedOn: new Date('2024-05-03T02:00:00Z'),
          },
        ],
      });
    glueMock.on(GetJobRunCommand).resolves({ JobRun: { Id: 'jr_mine', JobRunState: 'SUCCEEDED' } });
    const result = await harness().run(runGlueStage, input());
    expect(glueMock.commandCalls(StartJobRunCommand)).toHaveLength(0);
    expect(glueMock.commandCalls(GetJobRunsCommand)[1]!.args[0].input).toMatchObject({ NextToken: 'p2' });
    expect(result).toMatchObject({
      awsRunId: 'jr_mine',
      attached: true,
      startedAt: '2024-05-03T02:00:00.000Z',
    });
  });

  it('resumes the run in the heartbeat details of a previous attempt without looking up or starting', async () => {
    jobStates('RUNNING', 'SUCCEEDED');
    const h = harness(
      previousAttempt({
        awsRunId: 'jr_new',
        awsState: 'RUNNING',
        startedAt: '2024-05-03T02:00:00.000Z',
        polls: 5,
      }),
    );
    const result = await h.run(runGlueStage, input());
    expect(glueMock.commandCalls(GetJobRunsCommand)).toHaveLength(0);
    expect(glueMock.commandCalls(StartJobRunCommand)).toHaveLength(0);
    expect(result).toMatchObject({ awsRunId: 'jr_new', attached: true, details: { statusCalls: 7 } });
  });

  it('on ConcurrentRunsExceeded re-checks for its own run before failing', async () => {
    glueMock
      .on(StartJobRunCommand)
      .rejects(new ConcurrentRunsExceededException({ message: 'max concurrent runs 1', ...meta }));
    glueMock
      .on(GetJobRunsCommand)
      .resolvesOnce({ JobRuns: [] })
      .resolves({ JobRuns: [{ Id: 'jr_lost', Arguments: { [GLUE_RUN_KEY_ARGUMENT]: runKey } }] });
    glueMock.on(GetJobRunCommand).resolves({ JobRun: { Id: 'jr_lost', JobRunState: 'SUCCEEDED' } });
    const result = await harness().run(runGlueStage, input());
    expect(result).toMatchObject({ awsRunId: 'jr_lost', attached: true });
  });

  // glue/2017-03-31 service-2.json: StartJobRunRequest has no idempotency token, so the worker's client
  // sends it once (workers/start-call-retry.ts) and the activity decides what a lost answer means.
  it.each([
    [
      'a 500 after the run started',
      new InternalServiceException({ message: 'Internal service error', ...meta }),
    ],
    ['a dropped connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
  ])('after %s, finds its run by run key and attaches instead of starting again', async (_label, error) => {
    glueMock.on(StartJobRunCommand).rejects(error);
    glueMock
      .on(GetJobRunsCommand)
      .resolvesOnce({ JobRuns: [] })
      .resolves({ JobRuns: [{ Id: 'jr_lost', Arguments: { [GLUE_RUN_KEY_ARGUMENT]: runKey } }] });
    glueMock.on(GetJobRunCommand).resolves({ JobRun: { Id: 'jr_lost', JobRunState: 'SUCCEEDED' } });
    const result = await harness().run(runGlueStage, input());
    expect(glueMock.commandCalls(StartJobRunCommand)).toHaveLength(1);
    expect(result).toMatchObject({ awsRunId: 'jr_lost', attached: true });
  });

  it('after a 500 with no run of its own to be found, fails retryably (the next attempt looks again)', async () => {
    glueMock
      .on(StartJobRunCommand)
      .rejects(new InternalServiceException({ message: 'Internal service error', ...meta }));
    await expectFailure(harness().run(runGlueStage, input()), {
      type: FailureType.AwsServiceUnavailable,
      nonRetryable: false,
      messageIncludes: ['StartJobRun failed with InternalServiceException'],
    });
    expect(glueMock.commandCalls(GetJobRunsCommand)).toHaveLength(2);
  });

  it('stops paging GetJobRuns at runs older than the plan of its generation', async () => {
    const plannedAt = '2024-05-03T02:00:00.000Z';
    glueMock
      .on(GetJobRunsCommand)
      .resolvesOnce({
        JobRuns: [{ Id: 'jr_today', StartedOn: new Date('2024-05-03T02:10:00Z'), Arguments: {} }],
        NextToken: 'p2',
      })
      .resolvesOnce({
        JobRuns: [{ Id: 'jr_last_week', StartedOn: new Date('2024-04-26T02:10:00Z'), Arguments: {} }],
        NextToken: 'p3',
      })
      .resolves({
        JobRuns: [{ Id: 'jr_last_year', StartedOn: new Date('2023-05-03T02:10:00Z') }],
      });
    jobStates('SUCCEEDED');
    await harness().run(runGlueStage, input({ identity: { ...identity(), plannedAt } }));
    expect(glueMock.commandCalls(GetJobRunsCommand)).toHaveLength(2);
    expect(glueMock.commandCalls(StartJobRunCommand)).toHaveLength(1);
  });

  // glue/2017-03-31 Job.MaxRetries: "The maximum number of times to retry this job after a JobRun
  // fails"; Glue starts each retry as a new run (JobRun.Attempt, PreviousRunId).
  it('refuses to start a job with MaxRetries > 0, naming the setting and the fix', async () => {
    glueMock.on(GetJobCommand).resolves({ Job: { Name: 'medallion-sql-runner', MaxRetries: 2 } });
    await expectFailure(harness().run(runGlueStage, input()), {
      type: FailureType.InvalidConfig,
      nonRetryable: true,
      messageIncludes: ['medallion-sql-runner', 'MaxRetries = 2', 'Set MaxRetries to 0 on the Glue job'],
    });
    expect(glueMock.commandCalls(StartJobRunCommand)).toHaveLength(0);
  });

  it('fails retryably on ConcurrentRunsExceeded when no run of its own exists', async () => {
    glueMock
      .on(StartJobRunCommand)
      .rejects(new ConcurrentRunsExceededException({ message: 'max concurrent runs 1', ...meta }));
    await expectFailure(harness().run(runGlueStage, input()), {
      type: FailureType.AwsConcurrencyLimit,
      nonRetryable: false,
      messageIncludes: ['StartJobRun failed with ConcurrentRunsExceededException: max concurrent runs 1'],
    });
    expect(glueMock.commandCalls(GetJobRunsCommand)).toHaveLength(2);
  });

  it.each([
    [
      'throttling',
      new ThrottlingException({ message: 'Rate exceeded', ...meta }),
      FailureType.AwsThrottled,
      false,
    ],
    [
      'invalid input',
      new InvalidInputException({ message: 'bad argument', ...meta }),
      FailureType.AwsInvalidRequest,
      true,
    ],
    [
      'missing job',
      new EntityNotFoundException({ message: 'Job not found', ...meta }),
      FailureType.AwsNotFound,
      true,
    ],
    [
      'access denied',
      new AccessDeniedException({ message: 'not allowed', ...meta }),
      FailureType.AwsAccessDenied,
      true,
    ],
  ])('classifies %s on StartJobRun', async (_label, error, type, nonRetryable) => {
    glueMock.on(StartJobRunCommand).rejects(error);
    await expectFailure(harness().run(runGlueStage, input()), {
      type,
      nonRetryable,
      messageIncludes: ['Glue medallion-sql-runner: StartJobRun failed with', error.message],
    });
  });

  it('stops the run with BatchStopJobRun when the workflow cancels, waits for STOPPED, rethrows', async () => {
    let stopRequested = false;
    glueMock.on(BatchStopJobRunCommand).callsFake(() => {
      stopRequested = true;
      return Promise.resolve({
        SuccessfulSubmissions: [{ JobName: 'medallion-sql-runner', JobRunId: 'jr_new' }],
      });
    });
    let afterStop = 0;
    glueMock.on(GetJobRunCommand).callsFake(() =>
      Promise.resolve({
        JobRun: {
          Id: 'jr_new',
          JobRunState: !stopRequested ? 'RUNNING' : afterStop++ < 1 ? 'STOPPING' : 'STOPPED',
        },
      }),
    );
    const h = harness();
    cancelAtState(h, 'RUNNING');
    await expectCancelled(h.run(runGlueStage, input()));
    expect(glueMock.commandCalls(BatchStopJobRunCommand)[0]!.args[0].input).toEqual({
      JobName: 'medallion-sql-runner',
      JobRunIds: ['jr_new'],
    });
    expect(afterStop).toBe(2);
    // The clean-up calls are not aborted by the cancellation they react to.
    expect(sendOptionsOf(glueMock.commandCalls(BatchStopJobRunCommand)[0]!)?.abortSignal).toBeUndefined();
  });

  it('does not stop the run when the worker shuts down', async () => {
    glueMock.on(GetJobRunCommand).resolves({ JobRun: { Id: 'jr_new', JobRunState: 'RUNNING' } });
    const h = harness();
    cancelAtState(h, 'RUNNING', workerShutdown());
    await expectCancelled(h.run(runGlueStage, input()));
    expect(glueMock.commandCalls(BatchStopJobRunCommand)).toHaveLength(0);
  });

  it('fails without retry when the job wrote no metrics', async () => {
    jobStates('SUCCEEDED');
    s3Mock
      .on(GetObjectCommand)
      .rejects(new NoSuchKey({ message: 'The specified key does not exist.', ...meta }));
    await expectFailure(harness().run(runGlueStage, input()), {
      type: FailureType.AwsJobFailed,
      nonRetryable: true,
      messageIncludes: [`wrote no metrics at ${metricsUri}`],
    });
  });

  it('refuses an input without a job name, naming the field', async () => {
    await expectFailure(harness().run(runGlueStage, input({ jobName: '' })), {
      type: FailureType.InvalidConfig,
      nonRetryable: true,
      messageIncludes: ['runGlueStage', 'jobName'],
    });
    expect(glueMock.calls()).toHaveLength(0);
  });

  describe('with a crawler', () => {
    const lastCrawl = (Status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED') => ({
      Crawler: {
        Name: 'shop-silver',
        State: 'READY' as const,
        LastCrawl: { Status, StartTime: new Date(), ErrorMessage: 'bad classifier' },
      },
    });

    it('starts the crawler after the job and waits until it is READY with a SUCCEEDED crawl', async () => {
      jobStates('SUCCEEDED');
      glueMock.on(StartCrawlerCommand).resolves({});
      glueMock
        .on(GetCrawlerCommand)
        .resolvesOnce({ Crawler: { Name: 'shop-silver', State: 'RUNNING' } })
        .resolvesOnce({ Crawler: { Name: 'shop-silver', State: 'STOPPING' } })
        .resolves(lastCrawl('SUCCEEDED'));
      const h = harness();
      const result = await h.run(runGlueStage, input({ crawlerName: 'shop-silver' }));
      expect(result.details).toMatchObject({
        crawler: 'shop-silver',
        crawlerState: 'SUCCEEDED',
        crawlerStatusCalls: 3,
      });
      // While crawling, the heartbeat still names the (finished) job run for a retried attempt.
      expect(h.heartbeats.at(-1)).toMatchObject({ awsRunId: 'jr_new', awsState: 'SUCCEEDED' });
    });

    it('does not attach to a crawl already running (CrawlerRunningException): waits for READY, then crawls again', async () => {
      // The running crawl was started by another date's stage, possibly before this job wrote its
      // partition, so its result says nothing about our data (the crawler is shared by all dates).
      jobStates('SUCCEEDED');
      glueMock
        .on(StartCrawlerCommand)
        .rejectsOnce(new CrawlerRunningException({ message: 'already running', ...meta }))
        .resolves({});
      const before = new Date(Date.now() - 3_600_000);
      glueMock
        .on(GetCrawlerCommand)
        // Waiting for the other crawl: it is still running, then ends (READY, its LastCrawl SUCCEEDED).
        .resolvesOnce({ Crawler: { Name: 'shop-silver', State: 'RUNNING' } })
        .resolvesOnce({
          Crawler: {
            Name: 'shop-silver',
            State: 'READY',
            LastCrawl: { Status: 'SUCCEEDED', StartTime: before },
          },
        })
        // Our own crawl.
        .resolvesOnce({ Crawler: { Name: 'shop-silver', State: 'RUNNING' } })
        .resolves(lastCrawl('SUCCEEDED'));
      const result = await harness().run(runGlueStage, input({ crawlerName: 'shop-silver' }));
      expect(glueMock.commandCalls(StartCrawlerCommand)).toHaveLength(2);
      expect(glueMock.commandCalls(GetCrawlerCommand)).toHaveLength(4);
      expect(result.details).toMatchObject({ crawlerState: 'SUCCEEDED', crawlerStatusCalls: 2 });
    });

    it.each(['FAILED', 'CANCELLED'] as const)('fails when the crawl ends %s', async (status) => {
      jobStates('SUCCEEDED');
      glueMock.on(StartCrawlerCommand).resolves({});
      glueMock
        .on(GetCrawlerCommand)
        .resolvesOnce({ Crawler: { Name: 'shop-silver', State: 'RUNNING' } })
        .resolves(lastCrawl(status));
      await expectFailure(harness().run(runGlueStage, input({ crawlerName: 'shop-silver' })), {
        type: FailureType.AwsJobFailed,
        nonRetryable: true,
        messageIncludes: [
          `Glue crawler shop-silver run shop-silver ended ${status}: bad classifier`,
          'crawlers/view/shop-silver',
        ],
      });
    });
  });
});

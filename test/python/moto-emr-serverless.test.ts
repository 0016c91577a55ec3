/**
 * The EMR Serverless activity against moto: StartJobRun, GetJobRun, CancelJobRun and their errors.
 * moto 5.2.1 runs have no state manager (they are SUCCESS at once) and ignore `clientToken`, so the
 * attach through a repeated token is covered by the emulator and aws-sdk-client-mock, not here.
 */
import {
  CreateApplicationCommand,
  GetJobRunCommand,
  ListJobRunsCommand,
  StartJobRunCommand,
} from '@aws-sdk/client-emr-serverless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { FailureType } from '../../core/errors';
import type { EmrServerlessStageInput, StageHeartbeat } from '../../core/stage-io';
import {
  cancelAtState,
  expectCancelled,
  expectFailure,
  FAST_POLL,
  harness,
  identity,
  previousAttempt,
  workerShutdown,
} from '../support/activity-harness';
import {
  MOTO_ACCOUNT,
  MOTO_LAKE,
  type MotoServer,
  motoAvailable,
  startMoto,
} from '../support/python/moto-server';

describe.runIf(motoAvailable())('EMR Serverless activity on moto', () => {
  let moto: MotoServer;
  let activities: ReturnType<typeof createActivities>;
  let applicationId: string;

  beforeAll(async () => {
    moto = await startMoto();
    activities = createActivities(moto.clients);
    const app = await moto.clients.emrServerless.send(
      new CreateApplicationCommand({ name: 'medallion', releaseLabel: 'emr-7.5.0', type: 'SPARK' }),
    );
    applicationId = app.applicationId!;
  });
  afterAll(() => moto?.stop());

  async function stage(stageId: string): Promise<EmrServerlessStageInput> {
    const metricsUri = `s3://${MOTO_LAKE}/_medallion/metrics/${stageId}.json`;
    await activities.writeJson(metricsUri, { rowsIn: 5, rowsOut: 5, quarantined: 0 });
    return {
      kind: 'emr-serverless',
      identity: identity(stageId),
      poll: FAST_POLL,
      applicationId,
      executionRoleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/emr`,
      jobName: stageId,
      entryPoint: `s3://${MOTO_LAKE}/jobs/sql_runner.py`,
      entryPointArguments: ['--manifest', `s3://${MOTO_LAKE}/_medallion/manifests/${stageId}.json`],
      metrics: { metricsUri },
    };
  }

  /** moto 5.2.1 answers ListJobRuns of an application without runs with ResourceNotFoundException. */
  const runCount = async () => {
    try {
      const listed = await moto.clients.emrServerless.send(new ListJobRunsCommand({ applicationId }));
      return listed.jobRuns?.length ?? 0;
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return 0;
      throw error;
    }
  };
  const stateOf = async (jobRunId: string) =>
    (await moto.clients.emrServerless.send(new GetJobRunCommand({ applicationId, jobRunId }))).jobRun?.state;

  it('starts the run with the stage name and entry point, polls it to SUCCESS and reads the metrics', async () => {
    const input = await stage('gold_daily_sales');
    const before = await runCount();
    const result = await harness().run(activities.runEmrServerlessStage, input);
    expect(result).toMatchObject({ awsState: 'SUCCESS', attached: false, rowsIn: 5, rowsOut: 5 });
    expect(await runCount()).toBe(before + 1);
    const run = (
      await moto.clients.emrServerless.send(
        new GetJobRunCommand({ applicationId, jobRunId: result.awsRunId }),
      )
    ).jobRun;
    expect(run).toMatchObject({
      name: 'gold_daily_sales',
      jobDriver: {
        sparkSubmit: { entryPoint: input.entryPoint, entryPointArguments: input.entryPointArguments },
      },
    });
  });

  it('after a worker restart resumes the run in its heartbeat without starting another', async () => {
    const input = await stage('gold_customers');
    const earlier = await moto.clients.emrServerless.send(
      new StartJobRunCommand({
        applicationId,
        executionRoleArn: input.executionRoleArn,
        clientToken: input.identity.runKey,
        // As the earlier attempt sent it: the activity attaches only to a run of the same arguments.
        jobDriver: {
          sparkSubmit: { entryPoint: input.entryPoint, entryPointArguments: input.entryPointArguments },
        },
      }),
    );
    const before = await runCount();
    const beat: StageHeartbeat = {
      awsRunId: earlier.jobRunId!,
      awsState: 'RUNNING',
      startedAt: new Date().toISOString(),
      polls: 2,
    };
    const result = await harness(previousAttempt(beat)).run(activities.runEmrServerlessStage, input);
    expect(result).toMatchObject({ awsRunId: earlier.jobRunId, attached: true, awsState: 'SUCCESS' });
    expect(await runCount()).toBe(before);
  });

  it('cancels the run with CancelJobRun when the workflow cancels, and waits for CANCELLED', async () => {
    const input = await stage('gold_cancelled');
    const h = harness();
    // Cancelled right after StartJobRun, before the first GetJobRun (moto's run is SUCCESS at once).
    cancelAtState(h, 'STARTED');
    await expectCancelled(h.run(activities.runEmrServerlessStage, input));
    expect(await stateOf(h.heartbeats[0]!.awsRunId)).toBe('CANCELLED');
  });

  it('a worker shutdown leaves the run alone for the next attempt', async () => {
    const input = await stage('gold_shutdown');
    const h = harness();
    cancelAtState(h, 'STARTED', workerShutdown());
    await expectCancelled(h.run(activities.runEmrServerlessStage, input));
    expect(await stateOf(h.heartbeats[0]!.awsRunId)).toBe('SUCCESS');
  });

  it('a resumed run that ended CANCELLED fails the stage with the run id and state', async () => {
    const input = await stage('gold_resumed_cancelled');
    const h = harness();
    cancelAtState(h, 'STARTED');
    await expectCancelled(h.run(activities.runEmrServerlessStage, input));
    const cancelledRun = h.heartbeats[0]!;
    await expectFailure(harness(previousAttempt(cancelledRun)).run(activities.runEmrServerlessStage, input), {
      type: FailureType.AwsJobFailed,
      nonRetryable: true,
      messageIncludes: ['gold_resumed_cancelled', cancelledRun.awsRunId, 'CANCELLED'],
      details: { awsRunId: cancelledRun.awsRunId, awsState: 'CANCELLED' },
    });
  });

  it('fails without retry when the application does not exist (ResourceNotFoundException)', async () => {
    const input = await stage('gold_no_app');
    await expectFailure(
      harness().run(activities.runEmrServerlessStage, { ...input, applicationId: '00nosuchapp' }),
      { type: FailureType.AwsNotFound, nonRetryable: true, messageIncludes: ['gold_no_app', 'StartJobRun'] },
    );
  });

  it('fails without retry when the execution role is in another account (AccessDeniedException)', async () => {
    const input = await stage('gold_cross_account');
    await expectFailure(
      harness().run(activities.runEmrServerlessStage, {
        ...input,
        executionRoleArn: 'arn:aws:iam::999999999999:role/emr',
      }),
      { type: FailureType.AwsAccessDenied, nonRetryable: true, messageIncludes: ['StartJobRun'] },
    );
  });

  it('a heartbeat naming a run EMR does not know fails as not found, starting nothing', async () => {
    const input = await stage('gold_lost_run');
    const before = await runCount();
    const beat: StageHeartbeat = {
      awsRunId: '00lostrun',
      awsState: 'RUNNING',
      startedAt: new Date().toISOString(),
      polls: 1,
    };
    await expectFailure(harness(previousAttempt(beat)).run(activities.runEmrServerlessStage, input), {
      type: FailureType.AwsNotFound,
      nonRetryable: true,
      messageIncludes: ['00lostrun', 'GetJobRun'],
    });
    expect(await runCount()).toBe(before);
  });

  it('moto ignores clientToken (known moto gap): a repeated token starts a second run', async () => {
    // botocore emr-serverless service-2.json: StartJobRunRequest.clientToken has idempotencyToken: true,
    // so AWS returns the earlier run for a repeated token; the emulator does, moto 5.2.1 does not.
    const request = {
      applicationId,
      executionRoleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/emr`,
      clientToken: 'same-token',
      jobDriver: { sparkSubmit: { entryPoint: `s3://${MOTO_LAKE}/jobs/sql_runner.py` } },
    };
    const first = await moto.clients.emrServerless.send(new StartJobRunCommand(request));
    const second = await moto.clients.emrServerless.send(new StartJobRunCommand(request));
    expect(second.jobRunId).not.toBe(first.jobRunId);
  });
});

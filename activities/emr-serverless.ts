/**
 * EMR Serverless stage: StartJobRun with clientToken = run key (EMR returns the same jobRunId for a
 * repeated token, so a retried start attaches), poll GetJobRun, CancelJobRun on cancellation, then
 * read the job's metrics.
 */
import {
  CancelJobRunCommand,
  type EMRServerlessClient,
  GetJobRunCommand,
  type JobRun,
  type JobRunState,
  StartJobRunCommand,
} from '@aws-sdk/client-emr-serverless';
import type { EmrServerlessStageInput, StageResult } from '../core/stage-io';
import { awsCall, clientRegion } from './aws-call';
import type { FailureSubject } from './aws-errors';
import { consoleLinks, linkIn } from './console-links';
import { readJobMetrics } from './job-metrics';
import { type RunPhase, runToTerminal } from './poll-run';
import type { S3Activities } from './s3';
import { identitySchema, parseStageInput, pollSchema, s3UriSchema, text, z } from './stage-input';
import { stageResult } from './stage-result';

/**
 * CANCELLING is not an end: the Spark job still runs and writes until CANCELLED, so a stage that
 * failed at CANCELLING would let a rerun overlap it on the same output. Poll on until it settles.
 */
export const EMR_JOB_PHASES: Readonly<Record<JobRunState, RunPhase>> = {
  SUBMITTED: 'running',
  PENDING: 'running',
  SCHEDULED: 'running',
  RUNNING: 'running',
  QUEUED: 'running',
  CANCELLING: 'running',
  SUCCESS: 'succeeded',
  FAILED: 'failed',
  CANCELLED: 'failed',
};

export const EMR_RUN_KEY_TAG = 'medallion_run_key';
export const EMR_STOP_WAIT_MS = 10 * 60_000;

const emrInputSchema = z.object({
  kind: z.literal('emr-serverless'),
  identity: identitySchema,
  poll: pollSchema,
  applicationId: text,
  executionRoleArn: z.string().startsWith('arn:', 'expected an IAM role ARN'),
  jobName: text,
  entryPoint: text,
  entryPointArguments: z.array(z.string()),
  sparkSubmitParameters: z.string().optional(),
  metrics: z.object({ metricsUri: s3UriSchema }),
}) satisfies z.ZodType<EmrServerlessStageInput>;

export function createEmrServerlessActivities(clients: {
  emrServerless: EMRServerlessClient;
  s3: S3Activities;
}) {
  const { emrServerless, s3 } = clients;
  const regionPromise = clientRegion(emrServerless);

  async function runEmrServerlessStage(rawInput: EmrServerlessStageInput): Promise<StageResult> {
    const input = parseStageInput(emrInputSchema, rawInput, 'runEmrServerlessStage');
    const { applicationId, jobName, identity } = input;
    const region = await regionPromise;
    const link = (runId: string) => linkIn(region, consoleLinks.emrServerlessJobRun, applicationId, runId);
    const subject = (runId?: string): FailureSubject => {
      const consoleUrl = runId ? link(runId) : undefined;
      return {
        service: 'EMR Serverless',
        job: jobName,
        ...(runId ? { runId } : {}),
        ...(consoleUrl ? { consoleUrl } : {}),
      };
    };

    const outcome = await runToTerminal<JobRun>({
      service: 'EMR Serverless',
      job: jobName,
      poll: input.poll,
      stopWaitMs: EMR_STOP_WAIT_MS,
      consoleUrl: link,
      // The clientToken makes StartJobRun itself the attach: a repeated token returns the earlier run.
      findExisting: () => Promise.resolve(undefined),
      start: async () => {
        const response = await awsCall(subject(), 'StartJobRun', (options) =>
          emrServerless.send(
            new StartJobRunCommand({
              applicationId,
              executionRoleArn: input.executionRoleArn,
              clientToken: identity.runKey,
              name: jobName,
              jobDriver: {
                sparkSubmit: {
                  entryPoint: input.entryPoint,
                  entryPointArguments: input.entryPointArguments,
                  ...(input.sparkSubmitParameters
                    ? { sparkSubmitParameters: input.sparkSubmitParameters }
                    : {}),
                },
              },
              tags: { [EMR_RUN_KEY_TAG]: identity.runKey },
            }),
            options,
          ),
        );
        if (!response.jobRunId)
          throw new Error(`EMR Serverless StartJobRun for ${jobName} returned no jobRunId`);
        return { runId: response.jobRunId };
      },
      describe: async (runId) => {
        const response = await awsCall(subject(runId), 'GetJobRun', (options) =>
          emrServerless.send(new GetJobRunCommand({ applicationId, jobRunId: runId }), options),
        );
        if (!response.jobRun)
          throw new Error(`EMR Serverless GetJobRun ${applicationId}/${runId} returned no jobRun`);
        return response.jobRun;
      },
      stateOf: (run) => run.state ?? 'UNKNOWN',
      phaseOf: (run) => (run.state ? EMR_JOB_PHASES[run.state] : undefined) ?? 'running',
      // stateDetails says why: the Spark error, or the cancellation by executionTimeoutMinutes.
      failureMessage: (run) => run.stateDetails || 'EMR Serverless reported no state details',
      stop: async (runId) => {
        await awsCall(subject(runId), 'CancelJobRun', (options) =>
          emrServerless.send(new CancelJobRunCommand({ applicationId, jobRunId: runId }), options),
        );
      },
    });

    const metrics = await readJobMetrics(s3, input.metrics.metricsUri, subject(outcome.runId));
    const usage = outcome.status.totalResourceUtilization;
    const details: Record<string, string | number> = {};
    if (usage?.vCPUHour !== undefined) details.vCpuHours = usage.vCPUHour;
    if (usage?.memoryGBHour !== undefined) details.memoryGbHours = usage.memoryGBHour;
    return stageResult(identity, outcome, { metrics, details });
  }

  return { runEmrServerlessStage };
}

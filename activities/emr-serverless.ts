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
  paginateListJobRuns,
  StartJobRunCommand,
} from '@aws-sdk/client-emr-serverless';
import { ApplicationFailure } from '@temporalio/activity';
import { isDeepStrictEqual } from 'node:util';
import { FailureType } from '../core/errors';
import type { EmrServerlessStageInput, StageResult } from '../core/stage-io';
import { awsCall, clientRegion } from './aws-call';
import { awsErrorCodeOf, detectedFailure, type FailureSubject } from './aws-errors';
import { consoleLinks, linkIn } from './console-links';
import { readJobMetrics } from './job-metrics';
import { judgeLakeChecks, lakeCheckPlanSchema } from './quality-gate';
import { type RunPhase, runToTerminal } from './poll-run';
import type { S3Activities } from './s3';
import { identitySchema, parseStageInput, pollSchema, s3UriSchema, text, z } from './stage-input';
import { stageResult } from './stage-result';

/**
 * CANCELLING is not an end: the Spark job still runs and writes until CANCELLED, so a stage that
 * failed at CANCELLING would let a rerun overlap it on the same output. Poll on until it settles.
 */
const EMR_JOB_PHASES: Readonly<Record<JobRunState, RunPhase>> = {
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

const EMR_RUN_KEY_TAG = 'medallion_run_key';
const EMR_STOP_WAIT_MS = 10 * 60_000;
/** Slack between the worker's clock (the plan time) and EMR's (createdAt) in the run look-up. */
const EMR_LOOKUP_CLOCK_SKEW_MS = 15 * 60_000;

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
  checks: lakeCheckPlanSchema.optional(),
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

    const getRun = async (runId: string) => {
      const response = await awsCall(subject(runId), 'GetJobRun', (options) =>
        emrServerless.send(new GetJobRunCommand({ applicationId, jobRunId: runId }), options),
      );
      if (!response.jobRun)
        throw new Error(`EMR Serverless GetJobRun ${applicationId}/${runId} returned no jobRun`);
      return response.jobRun;
    };

    // A clientToken names one request: if the run it names was started with other job arguments (the
    // stage's manifest changed between attempts of one generation: a deploy, or a reset that planned
    // again), attaching would report another job's output as this stage's. Refuse with the run's id.
    const checkSameRequest = (run: JobRun) => {
      if (isDeepStrictEqual(run.jobDriver?.sparkSubmit?.entryPointArguments ?? [], input.entryPointArguments))
        return;
      throw detectedFailure(
        FailureType.InvalidConfig,
        subject(run.jobRunId),
        `run ${run.jobRunId} (${run.state}) was started for this stage's run key ${identity.runKey} with other ` +
          'job arguments (the manifest changed since it started). medallion does not attach to a run of another ' +
          'manifest: let that run end or cancel it, then rerun the date so the stage gets a fresh run key',
        run.state,
      );
    };

    // Runs of this application created since the plan, carrying this stage's run key tag.
    const findRunByKey = () =>
      awsCall(subject(), 'ListJobRuns', async (options) => {
        const createdAtAfter =
          identity.plannedAt === undefined
            ? undefined
            : new Date(Date.parse(identity.plannedAt) - EMR_LOOKUP_CLOCK_SKEW_MS);
        const pages = paginateListJobRuns(
          { client: emrServerless },
          { applicationId, ...(createdAtAfter ? { createdAtAfter } : {}) },
          options,
        );
        for await (const page of pages) {
          for (const summary of page.jobRuns ?? []) {
            if (summary.name !== jobName || !summary.id) continue;
            const run = await getRun(summary.id);
            if (run.tags?.[EMR_RUN_KEY_TAG] === identity.runKey) return run;
          }
        }
        return undefined;
      });

    let requestChecked = false;
    const outcome = await runToTerminal<JobRun>({
      service: 'EMR Serverless',
      job: jobName,
      poll: input.poll,
      stopWaitMs: EMR_STOP_WAIT_MS,
      consoleUrl: link,
      // The clientToken makes StartJobRun itself the attach: a repeated token returns the earlier run.
      findExisting: () => Promise.resolve(undefined),
      start: async () => {
        let jobRunId: string | undefined;
        try {
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
          jobRunId = response.jobRunId;
        } catch (error) {
          // A ConflictException may mean the token already names a run of another request: find it.
          if (!(error instanceof ApplicationFailure) || awsErrorCodeOf(error) !== 'ConflictException')
            throw error;
          const earlier = await findRunByKey();
          if (!earlier?.jobRunId) throw error;
          checkSameRequest(earlier);
          return { runId: earlier.jobRunId, startedAt: earlier.createdAt, attached: true };
        }
        if (!jobRunId) throw new Error(`EMR Serverless StartJobRun for ${jobName} returned no jobRunId`);
        return { runId: jobRunId };
      },
      // A repeated token may also be answered with the earlier run as it was started: the first status
      // call checks that the run is the one this request describes.
      describe: async (runId) => {
        const run = await getRun(runId);
        if (!requestChecked) {
          checkSameRequest(run);
          requestChecked = true;
        }
        return run;
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
    const checks = await judgeLakeChecks(s3, identity.stageId, input.checks, metrics);
    const usage = outcome.status.totalResourceUtilization;
    const details: Record<string, string | number> = {};
    if (usage?.vCPUHour !== undefined) details.vCpuHours = usage.vCPUHour;
    if (usage?.memoryGBHour !== undefined) details.memoryGbHours = usage.memoryGBHour;
    return stageResult(identity, outcome, { metrics, details, ...(checks ? { checks } : {}) });
  }

  return { runEmrServerlessStage };
}

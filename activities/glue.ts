/**
 * Glue job stage: attach to the run carrying this stage's `--medallion_run_key` argument or start one
 * with it, poll GetJobRun to a terminal state, stop with BatchStopJobRun on cancellation, then read
 * the job's metrics and optionally run a crawler.
 */
import {
  BatchStopJobRunCommand,
  GetJobRunCommand,
  type GlueClient,
  type JobRun,
  type JobRunState,
  paginateGetJobRuns,
  StartJobRunCommand,
} from '@aws-sdk/client-glue';
import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../core/errors';
import { GLUE_RUN_KEY_ARGUMENT } from '../core/job-manifest';
import type { GlueStageInput, StageResult } from '../core/stage-io';
import { awsCall, clientRegion } from './aws-call';
import type { FailureSubject } from './aws-errors';
import { consoleLinks, linkIn } from './console-links';
import { runGlueCrawler } from './glue-crawler';
import { readJobMetrics } from './job-metrics';
import { type RunPhase, runToTerminal } from './poll-run';
import type { S3Activities } from './s3';
import { identitySchema, parseStageInput, pollSchema, s3UriSchema, text, z } from './stage-input';
import { stageResult } from './stage-result';

export const GLUE_JOB_PHASES: Readonly<Record<JobRunState, RunPhase>> = {
  STARTING: 'running',
  RUNNING: 'running',
  STOPPING: 'running',
  WAITING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  ERROR: 'failed',
  TIMEOUT: 'failed',
  STOPPED: 'failed',
  EXPIRED: 'failed',
};

/** Glue may take minutes to stop a Spark job; a cancelled stage waits this long for STOPPED. */
export const GLUE_STOP_WAIT_MS = 15 * 60_000;

const glueInputSchema = z.object({
  kind: z.literal('glue'),
  identity: identitySchema,
  poll: pollSchema,
  jobName: text,
  arguments: z.record(z.string().startsWith('--', 'Glue argument names start with "--"'), z.string()),
  crawlerName: text.optional(),
  metrics: z.object({ metricsUri: s3UriSchema }),
}) satisfies z.ZodType<GlueStageInput>;

function glueFailureMessage(run: JobRun): string {
  const timeout = run.JobRunState === 'TIMEOUT' && run.Timeout ? ` (job timeout ${run.Timeout} min)` : '';
  return `${run.ErrorMessage ?? 'Glue reported no error message'}${timeout}`;
}

export function createGlueActivities(clients: { glue: GlueClient; s3: S3Activities }) {
  const { glue, s3 } = clients;
  const regionPromise = clientRegion(glue);

  async function runGlueStage(rawInput: GlueStageInput): Promise<StageResult> {
    const input = parseStageInput(glueInputSchema, rawInput, 'runGlueStage');
    const { jobName, identity } = input;
    const region = await regionPromise;
    const link = (runId?: string) =>
      runId ? linkIn(region, consoleLinks.glueJobRun, jobName, runId) : undefined;
    const subject = (runId?: string): FailureSubject => ({
      service: 'Glue',
      job: jobName,
      ...(runId !== undefined ? { runId } : {}),
      ...(link(runId) ? { consoleUrl: link(runId) } : {}),
    });

    const findExisting = () =>
      awsCall(subject(), 'GetJobRuns', async (options) => {
        for await (const page of paginateGetJobRuns({ client: glue }, { JobName: jobName }, options)) {
          const run = page.JobRuns?.find((r) => r.Arguments?.[GLUE_RUN_KEY_ARGUMENT] === identity.runKey);
          if (run?.Id) return { runId: run.Id, startedAt: run.StartedOn };
        }
        return undefined;
      });

    const outcome = await runToTerminal<JobRun>({
      service: 'Glue',
      job: jobName,
      poll: input.poll,
      stopWaitMs: GLUE_STOP_WAIT_MS,
      consoleUrl: link,
      findExisting,
      start: async () => {
        try {
          const response = await awsCall(subject(), 'StartJobRun', (options) =>
            glue.send(
              new StartJobRunCommand({
                JobName: jobName,
                Arguments: { ...input.arguments, [GLUE_RUN_KEY_ARGUMENT]: identity.runKey },
              }),
              options,
            ),
          );
          if (!response.JobRunId) throw new Error(`Glue StartJobRun for ${jobName} returned no JobRunId`);
          return { runId: response.JobRunId };
        } catch (error) {
          // A lost StartJobRun response may have started our run, which now counts against the limit.
          if (!(error instanceof ApplicationFailure) || error.type !== FailureType.AwsConcurrencyLimit)
            throw error;
          const existing = await findExisting();
          if (existing) return { ...existing, attached: true };
          throw error;
        }
      },
      describe: async (runId) => {
        const response = await awsCall(subject(runId), 'GetJobRun', (options) =>
          glue.send(new GetJobRunCommand({ JobName: jobName, RunId: runId }), options),
        );
        if (!response.JobRun) throw new Error(`Glue GetJobRun ${jobName}/${runId} returned no JobRun`);
        return response.JobRun;
      },
      stateOf: (run) => run.JobRunState ?? 'UNKNOWN',
      phaseOf: (run) => (run.JobRunState ? GLUE_JOB_PHASES[run.JobRunState] : undefined) ?? 'running',
      failureMessage: glueFailureMessage,
      stop: async (runId) => {
        const response = await awsCall(subject(runId), 'BatchStopJobRun', (options) =>
          glue.send(new BatchStopJobRunCommand({ JobName: jobName, JobRunIds: [runId] }), options),
        );
        const refused = response.Errors?.[0];
        if (refused)
          throw new Error(`${refused.ErrorDetail?.ErrorCode}: ${refused.ErrorDetail?.ErrorMessage}`);
      },
    });

    const metrics = await readJobMetrics(s3, input.metrics.metricsUri, subject(outcome.runId));
    const details: Record<string, string | number> = {};
    if (outcome.status.ExecutionTime !== undefined)
      details.executionTimeSeconds = outcome.status.ExecutionTime;
    if (outcome.status.DPUSeconds !== undefined) details.dpuSeconds = outcome.status.DPUSeconds;

    if (input.crawlerName) {
      const crawl = await runGlueCrawler({
        glue,
        region,
        crawlerName: input.crawlerName,
        poll: input.poll,
        jobHeartbeat: {
          awsRunId: outcome.runId,
          awsState: outcome.state,
          startedAt: outcome.startedAt,
          polls: outcome.statusCalls,
        },
      });
      details.crawler = input.crawlerName;
      details.crawlerState = crawl.state;
      details.crawlerStatusCalls = crawl.statusCalls;
    }
    return stageResult(identity, outcome, { metrics, details });
  }

  return { runGlueStage };
}

/**
 * Glue job stage: attach to the run carrying this stage's `--medallion_run_key` argument or start one
 * with it, poll GetJobRun to a terminal state, stop with BatchStopJobRun on cancellation, then read
 * the job's metrics and optionally run a crawler.
 *
 * StartJobRun has no idempotency token, so the worker's client never retries it (workers/
 * start-call-retry.ts). After an ambiguous outcome (a 5xx, a dropped connection, a timeout, or
 * ConcurrentRunsExceeded that our own lost start may have caused) the activity looks for its run by
 * run key before anything starts again; the look-up pages GetJobRuns (newest first) only back to the
 * time the stage's generation was planned, since no run with this key can be older.
 */
import {
  BatchStopJobRunCommand,
  GetJobCommand,
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
import { activityContext, awsCall, clientRegion } from './aws-call';
import { detectedFailure, type FailureSubject } from './aws-errors';
import { consoleLinks, linkIn } from './console-links';
import { runGlueCrawler } from './glue-crawler';
import { readJobMetrics } from './job-metrics';
import { judgeLakeChecks, lakeCheckPlanSchema } from './quality-gate';
import { type RunPhase, runToTerminal } from './poll-run';
import type { S3Activities } from './s3';
import { identitySchema, parseStageInput, pollSchema, s3UriSchema, text, z } from './stage-input';
import { stageResult } from './stage-result';

const GLUE_JOB_PHASES: Readonly<Record<JobRunState, RunPhase>> = {
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
const GLUE_STOP_WAIT_MS = 15 * 60_000;

/**
 * Slack between the worker's clock (the plan time) and Glue's (StartedOn) when the run look-up decides
 * that a page holds only runs older than the plan.
 */
const GLUE_LOOKUP_CLOCK_SKEW_MS = 15 * 60_000;

/** Failure types after which StartJobRun may have started a run: look for it before starting again. */
const AMBIGUOUS_START_FAILURES: readonly string[] = [
  FailureType.AwsServiceUnavailable,
  FailureType.AwsConcurrencyLimit,
];

const glueInputSchema = z.object({
  kind: z.literal('glue'),
  identity: identitySchema,
  poll: pollSchema,
  jobName: text,
  arguments: z.record(z.string().startsWith('--', 'Glue argument names start with "--"'), z.string()),
  crawlerName: text.optional(),
  metrics: z.object({ metricsUri: s3UriSchema }),
  checks: lakeCheckPlanSchema.optional(),
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

    const lookBackTo =
      identity.plannedAt === undefined
        ? undefined
        : Date.parse(identity.plannedAt) - GLUE_LOOKUP_CLOCK_SKEW_MS;
    const findExisting = () =>
      awsCall(subject(), 'GetJobRuns', async (options) => {
        for await (const page of paginateGetJobRuns({ client: glue }, { JobName: jobName }, options)) {
          const runs = page.JobRuns ?? [];
          const run = runs.find((r) => r.Arguments?.[GLUE_RUN_KEY_ARGUMENT] === identity.runKey);
          if (run?.Id) return { runId: run.Id, startedAt: run.StartedOn };
          // GetJobRuns lists newest first: once a page reaches runs older than the plan, no later
          // page can hold this generation's run (a shared job may have a year of runs behind it).
          const oldest = runs.at(-1)?.StartedOn;
          if (lookBackTo !== undefined && oldest !== undefined && oldest.getTime() < lookBackTo) break;
        }
        return undefined;
      });

    // Glue's own retries (MaxRetries > 0) start runs medallion does not track: a retry run would write
    // the stage's output after the stage already failed, overlapping a rerun. Checked before every
    // start (one GetJob per started run, cheap next to a Spark job), so an edit of the job made after
    // the worker started is caught too.
    const refuseGlueRetries = async () => {
      const { Job: job } = await awsCall(subject(), 'GetJob', (options) =>
        glue.send(new GetJobCommand({ JobName: jobName }), options),
      );
      const maxRetries = job?.MaxRetries ?? 0;
      if (maxRetries > 0) {
        throw detectedFailure(
          FailureType.InvalidConfig,
          subject(),
          `the job has MaxRetries = ${maxRetries}: Glue would start retry runs of its own that medallion ` +
            "does not track (they would write this stage's output after the stage failed, overlapping a " +
            "rerun). Set MaxRetries to 0 on the Glue job; medallion retries through the stage's retry policy",
        );
      }
    };

    const outcome = await runToTerminal<JobRun>({
      service: 'Glue',
      job: jobName,
      poll: input.poll,
      stopWaitMs: GLUE_STOP_WAIT_MS,
      consoleUrl: link,
      findExisting,
      start: async () => {
        await refuseGlueRetries();
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
          // The answer was lost or refused after the run may have started: look before starting again.
          if (!(error instanceof ApplicationFailure) || !AMBIGUOUS_START_FAILURES.includes(error.type ?? ''))
            throw error;
          const existing = await findExisting();
          if (existing) {
            activityContext()?.log.info(
              `Glue ${jobName}: StartJobRun failed (${error.message}) but run ${existing.runId} with this stage's run key exists; attaching`,
            );
            return { ...existing, attached: true };
          }
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
    // Before the crawler: a blocked day's partition is not published to the Data Catalog.
    const checks = await judgeLakeChecks(s3, identity.stageId, input.checks, metrics);
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
    return stageResult(identity, outcome, { metrics, details, ...(checks ? { checks } : {}) });
  }

  return { runGlueStage };
}

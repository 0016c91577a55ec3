import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { EMR_MANIFEST_FLAG } from '../../../core/job-manifest';
import type { EmrApplicationConfig } from '../../emulator-config';
import { AwsError } from '../../http/aws-error';
import { paginate } from '../../http/pagination';
import type { RestJsonCall } from '../../http/rest-json-protocol';
import { epochSeconds, parseTimestamp } from '../../http/timestamps';
import { parseInput } from '../../http/validate-input';
import { emrJobRunId } from '../../runtime/ids';
import { manifestStageId, parseJobManifest } from '../job-manifest-parser';
import { mainPhaseMs, takeScriptedFailure } from '../run-timing';
import type { JobRuns } from '../job-runs';
import type { ServiceContext } from '../service-context';

export type EmrJobRunState =
  'SUBMITTED' | 'SCHEDULED' | 'RUNNING' | 'SUCCESS' | 'FAILED' | 'CANCELLING' | 'CANCELLED';

export interface EmrJobRunRecord {
  applicationId: string;
  id: string;
  name?: string;
  clientToken: string;
  executionRole: string;
  jobDriver: Record<string, unknown>;
  configurationOverrides?: Record<string, unknown>;
  tags: Record<string, string>;
  state: EmrJobRunState;
  stateDetails: string;
  createdAt: number;
  updatedAt: number;
  runningSince?: number;
  endedAt?: number;
  /** End of the current timed phase, or the earliest end of RUNNING. */
  deadline: number;
  executionTimeoutMinutes: number;
  runMs: number;
  scriptedFailure?: string;
  work: 'pending' | 'done';
  error?: string;
}

const TERMINAL: EmrJobRunState[] = ['SUCCESS', 'FAILED', 'CANCELLED'];
export const emrRunFinished = (run: EmrJobRunRecord): boolean => TERMINAL.includes(run.state);
const VALIDATION = 'ValidationException';

const startJobRunBody = z.object({
  clientToken: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'Member must match [A-Za-z0-9._-]{1,64}'),
  executionRoleArn: z.string().min(20, 'Member must be an IAM role ARN'),
  jobDriver: z
    .object({
      sparkSubmit: z
        .object({
          entryPoint: z.string().min(1),
          entryPointArguments: z.array(z.string()).optional(),
          sparkSubmitParameters: z.string().optional(),
        })
        .optional(),
      hive: z
        .object({ query: z.string().min(1) })
        .loose()
        .optional(),
    })
    .refine((d) => Boolean(d.sparkSubmit) !== Boolean(d.hive), 'set exactly one of sparkSubmit or hive'),
  configurationOverrides: z.record(z.string(), z.unknown()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  executionTimeoutMinutes: z.number().int().min(0).max(1_000_000).optional(),
  name: z.string().min(1).max(256).optional(),
});

/** EMR Serverless job runs: SUBMITTED -> SCHEDULED -> RUNNING -> SUCCESS | FAILED, CANCELLING -> CANCELLED. */
export class EmrJobRuns {
  /** Runs whose manifest the runner is executing right now (in this process). */
  private readonly working = new Set<string>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly runs: JobRuns<EmrJobRunRecord>,
  ) {}

  getApplication({ params }: RestJsonCall): unknown {
    const app = this.application(params.applicationId!);
    const created = epochSeconds(this.runs.createdAt);
    return {
      application: {
        applicationId: app.id,
        name: app.name,
        arn: this.applicationArn(app.id),
        releaseLabel: app.releaseLabel,
        type: app.type,
        state: app.state,
        stateDetails: '',
        createdAt: created,
        updatedAt: created,
        autoStartConfiguration: { enabled: true },
        autoStopConfiguration: { enabled: true, idleTimeoutMinutes: 15 },
        architecture: 'X86_64',
        tags: {},
      },
    };
  }

  async startJobRun({ params, body }: RestJsonCall): Promise<unknown> {
    const applicationId = params.applicationId!;
    const request = parseInput(startJobRunBody, body, VALIDATION);
    const record = (outcome: 'started' | 'replayed' | 'rejected', runId?: string, error?: string) =>
      this.ctx.calls.record({
        service: 'emr-serverless',
        operation: 'StartJobRun',
        resource: applicationId,
        idempotencyKey: request.clientToken,
        outcome,
        ...(runId === undefined ? {} : { runId }),
        ...(error === undefined ? {} : { error }),
      });
    const app = this.ctx.config.emrServerless.applications.find((a) => a.id === applicationId);
    if (!app) {
      await record('rejected', undefined, 'ResourceNotFoundException');
      throw notFound(`Application ${applicationId} does not exist`);
    }
    if (app.state === 'TERMINATED') {
      await record('rejected', undefined, VALIDATION);
      throw new AwsError(
        VALIDATION,
        `Application ${app.id} is in TERMINATED state and cannot accept job runs`,
      );
    }
    const runs = this.runs.runsOf(app.id);
    const earlier = runs.find((r) => r.clientToken === request.clientToken);
    if (earlier) {
      // clientToken "must be unique for each request" (StartJobRunRequest): a repeat of the same request
      // gets the earlier run; the token reused for another request gets StartJobRun's documented
      // ConflictException (HTTP 409), never a silent attach to a run of other work.
      if (!sameRequest(earlier, request)) {
        await record('rejected', earlier.id, 'ConflictException');
        throw new AwsError(
          'ConflictException',
          `clientToken ${request.clientToken} was already used for job run ${earlier.id} with a different request`,
          409,
        );
      }
      await record('replayed', earlier.id);
      return this.startResponse(earlier);
    }
    const manifestText = manifestArgument(request.jobDriver.sparkSubmit?.entryPointArguments);
    const stageId = manifestStageId(manifestText);
    const now = this.ctx.clock.now();
    const run: EmrJobRunRecord = {
      applicationId: app.id,
      id: emrJobRunId(),
      clientToken: request.clientToken,
      executionRole: request.executionRoleArn,
      jobDriver: request.jobDriver,
      tags: request.tags ?? {},
      state: 'SUBMITTED',
      stateDetails: '',
      createdAt: now,
      updatedAt: now,
      deadline: now + this.ctx.config.timing.transitionMs,
      executionTimeoutMinutes: request.executionTimeoutMinutes ?? 720,
      runMs: mainPhaseMs(this.ctx, 'emr-serverless', [stageId, app.id], app.durationMs),
      work: 'pending',
    };
    if (request.name !== undefined) run.name = request.name;
    if (request.configurationOverrides) run.configurationOverrides = request.configurationOverrides;
    const failure = await takeScriptedFailure(this.ctx, 'emr-serverless', [stageId, app.id]);
    if (failure !== undefined) run.scriptedFailure = failure;
    await this.runs.add(app.id, run);
    await record('started', run.id);
    this.drive(run);
    return this.startResponse(run);
  }

  getJobRun({ params }: RestJsonCall): unknown {
    const run = this.run(params.applicationId!, params.jobRunId!);
    return { jobRun: this.runView(run) };
  }

  listJobRuns({ params, query }: RestJsonCall): unknown {
    const app = this.application(params.applicationId!);
    const states = query.getAll('states');
    const after = parseTimestamp(query.get('createdAtAfter'));
    const before = parseTimestamp(query.get('createdAtBefore'));
    const maxResults = Number(query.get('maxResults') ?? 50);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 50) {
      throw new AwsError(
        VALIDATION,
        "Value at 'maxResults' failed to satisfy constraint: Member must be between 1 and 50",
      );
    }
    const matching = [...this.runs.runsOf(app.id)]
      .reverse()
      .filter(
        (r) =>
          (states.length === 0 || states.includes(r.state)) &&
          (after === undefined || r.createdAt >= after) &&
          (before === undefined || r.createdAt <= before),
      );
    const page = paginate(
      matching,
      (r) => r.id,
      query.get('nextToken') ?? undefined,
      maxResults,
      VALIDATION,
      (r) => r.createdAt,
    );
    return { jobRuns: page.items.map((r) => this.summaryView(r)), nextToken: page.nextToken };
  }

  async cancelJobRun({ params }: RestJsonCall): Promise<unknown> {
    const run = this.run(params.applicationId!, params.jobRunId!);
    if (TERMINAL.includes(run.state)) {
      throw new AwsError(VALIDATION, `Job run ${run.id} is in ${run.state} state and cannot be cancelled`);
    }
    if (run.state !== 'CANCELLING') {
      this.transition(run, 'CANCELLING', this.ctx.clock.now() + this.ctx.config.timing.transitionMs);
      run.stateDetails = 'Job run cancelled by user';
      await this.runs.save(run);
      this.drive(run);
    }
    return { applicationId: run.applicationId, jobRunId: run.id };
  }

  /** Runs of applications no longer in the config stay as they were. */
  resume(): void {
    for (const app of this.ctx.config.emrServerless.applications) {
      for (const run of this.runs.runsOf(app.id)) this.drive(run);
    }
  }

  private drive(run: EmrJobRunRecord): void {
    const key = `emr:${run.id}`;
    const { scheduler } = this.ctx;
    const next = async (state: EmrJobRunState, deadline: number) => {
      this.transition(run, state, deadline);
      if (state === 'RUNNING') run.runningSince = this.ctx.clock.now();
      await this.runs.save(run);
      this.drive(run);
    };
    switch (run.state) {
      case 'SUBMITTED':
        scheduler.at(key, run.deadline, () =>
          next('SCHEDULED', this.ctx.clock.now() + this.ctx.config.timing.transitionMs),
        );
        break;
      case 'SCHEDULED':
        scheduler.at(key, run.deadline, () => next('RUNNING', this.ctx.clock.now() + run.runMs));
        break;
      case 'RUNNING':
        if (run.work === 'pending') this.startWork(run);
        scheduler.at(key, run.deadline, () => this.finishIfDone(run));
        if (run.executionTimeoutMinutes > 0) {
          const timeoutAt =
            (run.runningSince ?? run.createdAt) +
            run.executionTimeoutMinutes * this.ctx.config.timing.minuteMs;
          scheduler.at(`${key}:timeout`, timeoutAt, () => this.timeOut(run));
        }
        break;
      case 'CANCELLING':
        // As on AWS, the Spark job keeps running (and writing) while CANCELLING: the run is CANCELLED
        // only once its work has stopped, at least `transitionMs` after the cancel.
        scheduler.cancel(`${key}:timeout`);
        scheduler.at(key, run.deadline, async () => {
          if (run.state !== 'CANCELLING') return;
          if (this.working.has(run.id)) {
            run.deadline = this.ctx.clock.now() + this.ctx.config.timing.transitionMs;
            this.drive(run);
            return;
          }
          this.transition(run, 'CANCELLED');
          await this.runs.save(run);
        });
        break;
      default:
        break;
    }
  }

  private startWork(run: EmrJobRunRecord): void {
    const sparkSubmit = run.jobDriver.sparkSubmit as { entryPointArguments?: string[] } | undefined;
    const args = sparkSubmit?.entryPointArguments;
    if (this.ctx.scheduler.isStopped || this.working.has(run.id)) return;
    this.working.add(run.id);
    this.ctx.work.start(async () => {
      let error = run.scriptedFailure;
      const flagIndex = args?.indexOf(EMR_MANIFEST_FLAG) ?? -1;
      if (error === undefined && flagIndex >= 0) {
        const text = args![flagIndex + 1];
        const manifest =
          text === undefined
            ? { error: `${EMR_MANIFEST_FLAG} has no value` }
            : parseJobManifest(text, EMR_MANIFEST_FLAG);
        if ('error' in manifest) error = manifest.error;
        else {
          try {
            await this.ctx.runJobManifest(manifest, this.ctx.lake.resolve);
          } catch (cause) {
            error = cause instanceof Error ? cause.message : String(cause);
          }
        }
      }
      this.working.delete(run.id);
      if (run.state !== 'RUNNING' || run.work !== 'pending') return;
      run.work = 'done';
      if (error !== undefined) run.error = error;
      await this.runs.save(run);
      await this.finishIfDone(run);
    });
  }

  private async finishIfDone(run: EmrJobRunRecord): Promise<void> {
    if (run.state !== 'RUNNING' || run.work !== 'done' || this.ctx.clock.now() < run.deadline) return;
    if (run.error === undefined) this.transition(run, 'SUCCESS');
    else {
      this.transition(run, 'FAILED');
      run.stateDetails =
        `Job failed, please check complete logs in configured logging destination. ${run.error}`.slice(
          0,
          256,
        );
    }
    this.ctx.scheduler.cancel(`emr:${run.id}:timeout`);
    await this.runs.save(run);
  }

  private async timeOut(run: EmrJobRunRecord): Promise<void> {
    if (run.state !== 'RUNNING') return;
    this.transition(run, 'CANCELLING', this.ctx.clock.now() + this.ctx.config.timing.transitionMs);
    run.stateDetails = `Job run timed out after ${run.executionTimeoutMinutes} minutes (executionTimeoutMinutes)`;
    await this.runs.save(run);
    this.drive(run);
  }

  private transition(run: EmrJobRunRecord, state: EmrJobRunState, deadline?: number): void {
    const now = this.ctx.clock.now();
    run.state = state;
    run.updatedAt = now;
    if (deadline !== undefined) run.deadline = deadline;
    if (TERMINAL.includes(state)) run.endedAt = now;
  }

  private application(id: string): EmrApplicationConfig {
    const app = this.ctx.config.emrServerless.applications.find((a) => a.id === id);
    if (!app) throw notFound(`Application ${id} does not exist`);
    return app;
  }

  private run(applicationId: string, jobRunId: string): EmrJobRunRecord {
    this.application(applicationId);
    const run = this.runs.runsOf(applicationId).find((r) => r.id === jobRunId);
    if (!run) throw notFound(`Job run ${jobRunId} does not exist in application ${applicationId}`);
    return run;
  }

  private applicationArn(id: string): string {
    return `arn:aws:emr-serverless:${this.ctx.config.region}:${this.ctx.config.accountId}:/applications/${id}`;
  }

  private startResponse(run: EmrJobRunRecord): unknown {
    return { applicationId: run.applicationId, jobRunId: run.id, arn: this.runArn(run) };
  }

  private runArn(run: EmrJobRunRecord): string {
    return `${this.applicationArn(run.applicationId)}/jobruns/${run.id}`;
  }

  private summaryView(run: EmrJobRunRecord): Record<string, unknown> {
    return {
      applicationId: run.applicationId,
      id: run.id,
      name: run.name,
      mode: 'BATCH',
      arn: this.runArn(run),
      createdBy: `arn:aws:iam::${this.ctx.config.accountId}:user/emulator`,
      createdAt: epochSeconds(run.createdAt),
      updatedAt: epochSeconds(run.updatedAt),
      executionRole: run.executionRole,
      state: run.state,
      stateDetails: run.stateDetails,
      releaseLabel: this.application(run.applicationId).releaseLabel,
      type: 'Spark',
      attempt: 1,
      attemptCreatedAt: epochSeconds(run.createdAt),
      attemptUpdatedAt: epochSeconds(run.updatedAt),
    };
  }

  private runView(run: EmrJobRunRecord): unknown {
    const { id, type: _type, ...summary } = this.summaryView(run);
    const end = run.endedAt ?? this.ctx.clock.now();
    const seconds = run.runningSince === undefined ? 0 : Math.round((end - run.runningSince) / 1000);
    return {
      ...summary,
      jobRunId: id,
      jobDriver: run.jobDriver,
      configurationOverrides: run.configurationOverrides,
      tags: run.tags,
      executionTimeoutMinutes: run.executionTimeoutMinutes,
      totalExecutionDurationSeconds: seconds,
      totalResourceUtilization: { vCPUHour: 0, memoryGBHour: 0, storageGBHour: 0 },
      startedAt: epochSeconds(run.runningSince),
      endedAt: epochSeconds(run.endedAt),
      queuedDurationMilliseconds: 0,
    };
  }
}

/** Whether a StartJobRun request repeats the one that started `run` (everything but the token). */
function sameRequest(run: EmrJobRunRecord, request: z.infer<typeof startJobRunBody>): boolean {
  return (
    run.executionRole === request.executionRoleArn &&
    isDeepStrictEqual(run.jobDriver, request.jobDriver) &&
    isDeepStrictEqual(run.configurationOverrides, request.configurationOverrides) &&
    isDeepStrictEqual(run.tags, request.tags ?? {}) &&
    run.name === request.name &&
    run.executionTimeoutMinutes === (request.executionTimeoutMinutes ?? 720)
  );
}

/** The JSON after `--manifest` in the Spark entry point arguments, if the flag is there. */
function manifestArgument(args: string[] | undefined): string | undefined {
  const index = args?.indexOf(EMR_MANIFEST_FLAG) ?? -1;
  return index >= 0 ? args![index + 1] : undefined;
}

function notFound(message: string): AwsError {
  return new AwsError('ResourceNotFoundException', message, 404);
}

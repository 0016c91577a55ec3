import { z } from 'zod';
import { GLUE_MANIFEST_ARGUMENT, GLUE_RUN_KEY_ARGUMENT } from '../../../core/job-manifest';
import type { GlueJobConfig } from '../../emulator-config';
import { AwsError } from '../../http/aws-error';
import { paginate } from '../../http/pagination';
import { epochSeconds } from '../../http/timestamps';
import { parseInput } from '../../http/validate-input';
import { glueJobRunId } from '../../runtime/ids';
import { manifestStageId, parseJobManifest } from '../job-manifest-parser';
import { mainPhaseMs, takeScriptedFailure } from '../run-timing';
import type { JobRuns } from '../job-runs';
import type { ServiceContext } from '../service-context';

export type GlueJobRunState =
  | 'WAITING'
  | 'STARTING'
  | 'RUNNING'
  | 'STOPPING'
  | 'STOPPED'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMEOUT'
  | 'EXPIRED';

export interface GlueJobRunRecord {
  id: string;
  jobName: string;
  /** The arguments as passed to StartJobRun (what GetJobRun shows). */
  arguments: Record<string, string>;
  state: GlueJobRunState;
  startedAt: number;
  modifiedAt: number;
  completedAt?: number;
  runningSince?: number;
  /** End of the current timed phase (STARTING, STOPPING) or the earliest end of RUNNING. */
  deadline: number;
  timeoutMinutes: number;
  workerType: string;
  numberOfWorkers: number;
  /** Fixed at start so a restart replays the same plan: main-phase length and a scripted failure. */
  runMs: number;
  scriptedFailure?: string;
  /** The job's work (the manifest, if any): pending until the runner settles. */
  work: 'pending' | 'done';
  errorMessage?: string;
  /** JobRun.Attempt: 0 for a started run, n for Glue's n-th retry of it (MaxRetries). */
  attempt?: number;
  /** JobRun.PreviousRunId of a retry run. */
  previousRunId?: string;
  /** JobRun.StateDetail, e.g. why a run is WAITING. */
  stateDetail?: string;
}

const ACTIVE: GlueJobRunState[] = ['WAITING', 'STARTING', 'RUNNING', 'STOPPING'];
/** Runs that hold one of the job's MaxConcurrentRuns slots (a WAITING run waits for one). */
const HOLDING_SLOT: GlueJobRunState[] = ['STARTING', 'RUNNING', 'STOPPING'];
export const glueRunFinished = (run: GlueJobRunRecord): boolean => !ACTIVE.includes(run.state);
const INVALID_INPUT = 'InvalidInputException';

const jobName = z.string().min(1, 'Member must not be null');
const startJobRunInput = z.object({
  JobName: jobName,
  JobRunQueuingEnabled: z.boolean().optional(),
  Arguments: z.record(z.string(), z.string()).optional(),
  Timeout: z.number().int().min(1).optional(),
  WorkerType: z.string().optional(),
  NumberOfWorkers: z.number().int().min(1).optional(),
});
const getJobRunInput = z.object({ JobName: jobName, RunId: z.string().min(1, 'Member must not be null') });
const getJobRunsInput = z.object({
  JobName: jobName,
  NextToken: z.string().optional(),
  MaxResults: z.number().int().min(1).max(200).optional(),
});
const batchStopInput = z.object({ JobName: jobName, JobRunIds: z.array(z.string().min(1)).min(1).max(25) });

/** Glue job runs: STARTING -> RUNNING -> SUCCEEDED | FAILED | TIMEOUT, STOPPING -> STOPPED. */
export class GlueJobRuns {
  /** Runs whose manifest the runner is executing right now (in this process). */
  private readonly working = new Set<string>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly runs: JobRuns<GlueJobRunRecord>,
  ) {}

  getJob(input: unknown): unknown {
    const { JobName } = parseInput(z.object({ JobName: jobName }), input, INVALID_INPUT);
    return { Job: this.jobView(this.job(JobName)) };
  }

  async startJobRun(input: unknown): Promise<unknown> {
    const request = parseInput(startJobRunInput, input, INVALID_INPUT);
    const runKey = request.Arguments?.[GLUE_RUN_KEY_ARGUMENT];
    const record = (outcome: 'started' | 'rejected', runId?: string, error?: string) =>
      this.ctx.calls.record({
        service: 'glue',
        operation: 'StartJobRun',
        resource: request.JobName,
        outcome,
        ...(runKey === undefined ? {} : { idempotencyKey: runKey }),
        ...(runId === undefined ? {} : { runId }),
        ...(error === undefined ? {} : { error }),
      });
    const job = this.ctx.config.glue.jobs.find((j) => j.name === request.JobName);
    if (!job) {
      await record('rejected', undefined, 'EntityNotFoundException');
      throw notFound(`Job with name: ${request.JobName} not found.`);
    }
    const active = this.runs.runsOf(job.name).filter((r) => HOLDING_SLOT.includes(r.state)).length;
    const queuing = request.JobRunQueuingEnabled ?? job.jobRunQueuingEnabled;
    if (active >= job.maxConcurrentRuns && !queuing) {
      await record('rejected', undefined, 'ConcurrentRunsExceededException');
      throw new AwsError('ConcurrentRunsExceededException', `Concurrent runs exceeded for ${job.name}`);
    }
    const run = await this.newRun(job, request.Arguments ?? {}, request, active >= job.maxConcurrentRuns);
    await record('started', run.id);
    this.drive(run);
    return { JobRunId: run.id };
  }

  /**
   * A run as StartJobRun or Glue's own retry creates it: STARTING, or WAITING for a slot when the job
   * is at MaxConcurrentRuns with job run queuing on.
   */
  private async newRun(
    job: GlueJobConfig,
    args: Record<string, string>,
    request: {
      Timeout?: number | undefined;
      WorkerType?: string | undefined;
      NumberOfWorkers?: number | undefined;
    },
    waiting: boolean,
    retry?: { attempt: number; previousRunId: string },
  ): Promise<GlueJobRunRecord> {
    const stageId = manifestStageId({ ...job.defaultArguments, ...args }[GLUE_MANIFEST_ARGUMENT]);
    const now = this.ctx.clock.now();
    const run: GlueJobRunRecord = {
      id: glueJobRunId(),
      jobName: job.name,
      arguments: args,
      state: waiting ? 'WAITING' : 'STARTING',
      startedAt: now,
      modifiedAt: now,
      deadline: now + this.ctx.config.timing.transitionMs,
      timeoutMinutes: request.Timeout ?? job.timeoutMinutes,
      workerType: request.WorkerType ?? job.workerType,
      numberOfWorkers: request.NumberOfWorkers ?? job.numberOfWorkers,
      runMs: mainPhaseMs(this.ctx, 'glue', [stageId, job.name], job.durationMs),
      work: 'pending',
      attempt: retry?.attempt ?? 0,
    };
    if (retry) run.previousRunId = retry.previousRunId;
    if (waiting)
      run.stateDetail = `Waiting for resources: the job is at MaxConcurrentRuns (${job.maxConcurrentRuns})`;
    const failure = await takeScriptedFailure(this.ctx, 'glue', [stageId, job.name]);
    if (failure !== undefined) run.scriptedFailure = failure;
    await this.runs.add(job.name, run);
    return run;
  }

  /** After a run ended: Glue's own retry of a FAILED run (MaxRetries), then the oldest WAITING run. */
  private async afterEnd(run: GlueJobRunRecord): Promise<void> {
    const job = this.ctx.config.glue.jobs.find((j) => j.name === run.jobName);
    if (!job) return;
    const attempt = run.attempt ?? 0;
    if (run.state === 'FAILED' && attempt < job.maxRetries) {
      const holding = this.runs.runsOf(job.name).filter((r) => HOLDING_SLOT.includes(r.state)).length;
      const retry = await this.newRun(
        job,
        run.arguments,
        { Timeout: run.timeoutMinutes },
        holding >= job.maxConcurrentRuns,
        {
          attempt: attempt + 1,
          previousRunId: run.id,
        },
      );
      const runKey = run.arguments[GLUE_RUN_KEY_ARGUMENT];
      await this.ctx.calls.record({
        service: 'glue',
        operation: 'StartJobRun',
        resource: job.name,
        outcome: 'started',
        runId: retry.id,
        retryOf: run.id,
        ...(runKey === undefined ? {} : { idempotencyKey: runKey }),
      });
      this.drive(retry);
    }
    await this.promoteWaiting(job);
  }

  /** Starts the oldest WAITING run of the job if a MaxConcurrentRuns slot is free. */
  private async promoteWaiting(job: GlueJobConfig): Promise<void> {
    const waiting = this.runs.runsOf(job.name).find((r) => r.state === 'WAITING');
    const holding = this.runs.runsOf(job.name).filter((r) => HOLDING_SLOT.includes(r.state)).length;
    if (waiting && holding < job.maxConcurrentRuns) {
      this.ctx.scheduler.cancel(`glue:${waiting.id}:expiry`);
      delete waiting.stateDetail;
      this.transition(waiting, 'STARTING', this.ctx.clock.now() + this.ctx.config.timing.transitionMs);
      await this.runs.save(waiting);
      this.drive(waiting);
    }
  }

  getJobRun(input: unknown): unknown {
    const { JobName, RunId } = parseInput(getJobRunInput, input, INVALID_INPUT);
    this.job(JobName);
    const run = this.runs.runsOf(JobName).find((r) => r.id === RunId);
    if (!run) throw notFound(`Job run ${RunId} not found for job ${JobName}.`);
    return { JobRun: this.runView(run) };
  }

  getJobRuns(input: unknown): unknown {
    const request = parseInput(getJobRunsInput, input, INVALID_INPUT);
    this.job(request.JobName);
    const newestFirst = [...this.runs.runsOf(request.JobName)].reverse();
    const page = paginate(
      newestFirst,
      (r) => r.id,
      request.NextToken,
      request.MaxResults ?? 100,
      INVALID_INPUT,
      (r) => r.startedAt,
    );
    return { JobRuns: page.items.map((r) => this.runView(r)), NextToken: page.nextToken };
  }

  async batchStopJobRun(input: unknown): Promise<unknown> {
    const request = parseInput(batchStopInput, input, INVALID_INPUT);
    const runs = this.runs.runsOf(request.JobName);
    const successful: unknown[] = [];
    const errors: unknown[] = [];
    for (const id of request.JobRunIds) {
      const run = runs.find((r) => r.id === id);
      if (run && (run.state === 'WAITING' || run.state === 'STARTING' || run.state === 'RUNNING')) {
        this.transition(run, 'STOPPING', this.ctx.clock.now() + this.ctx.config.timing.transitionMs);
        successful.push({ JobName: request.JobName, JobRunId: id });
      } else {
        errors.push({
          JobName: request.JobName,
          JobRunId: id,
          ErrorDetail: run
            ? {
                ErrorCode: INVALID_INPUT,
                ErrorMessage: `Job run ${id} cannot be stopped in state ${run.state}.`,
              }
            : {
                ErrorCode: 'EntityNotFoundException',
                ErrorMessage: `Job run ${id} not found for job ${request.JobName}.`,
              },
        });
      }
    }
    const stopping = runs.filter((r) => r.state === 'STOPPING');
    await Promise.all(stopping.map((run) => this.runs.save(run)));
    for (const run of stopping) this.drive(run);
    return { SuccessfulSubmissions: successful, Errors: errors };
  }

  /** Runs of jobs no longer in the config stay as they were (GetJobRun answers EntityNotFound for them). */
  resume(): void {
    for (const job of this.ctx.config.glue.jobs) {
      for (const run of this.runs.runsOf(job.name)) this.drive(run);
      // A slot may have freed while the emulator was down (or the limit was raised in the config).
      this.ctx.work.start(() => this.promoteWaiting(job));
    }
  }

  /** Arms whatever the run's current state waits for. */
  private drive(run: GlueJobRunRecord): void {
    const key = `glue:${run.id}`;
    const { scheduler } = this.ctx;
    switch (run.state) {
      case 'WAITING':
        // A queued run that gets no slot within its timeout expires (JobRunState EXPIRED).
        scheduler.at(
          `${key}:expiry`,
          run.startedAt + run.timeoutMinutes * this.ctx.config.timing.minuteMs,
          () => this.expire(run),
        );
        break;
      case 'STARTING':
        scheduler.at(key, run.deadline, () => this.enterRunning(run));
        break;
      case 'RUNNING':
        if (run.work === 'pending') this.startWork(run);
        scheduler.at(key, run.deadline, () => this.finishIfDone(run));
        scheduler.at(
          `${key}:timeout`,
          run.startedAt + run.timeoutMinutes * this.ctx.config.timing.minuteMs,
          () => this.timeOut(run),
        );
        break;
      case 'STOPPING':
        scheduler.cancel(`${key}:timeout`);
        scheduler.cancel(`${key}:expiry`);
        scheduler.at(key, run.deadline, async () => {
          this.transition(run, 'STOPPED');
          await this.runs.save(run);
          await this.afterEnd(run);
        });
        break;
      default:
        break;
    }
  }

  private async enterRunning(run: GlueJobRunRecord): Promise<void> {
    if (run.state !== 'STARTING') return;
    const now = this.ctx.clock.now();
    run.runningSince = now;
    this.transition(run, 'RUNNING', now + run.runMs);
    await this.runs.save(run);
    this.drive(run);
  }

  private startWork(run: GlueJobRunRecord): void {
    const job = this.job(run.jobName);
    const manifestText = { ...job.defaultArguments, ...run.arguments }[GLUE_MANIFEST_ARGUMENT];
    if (this.ctx.scheduler.isStopped || this.working.has(run.id)) return;
    this.working.add(run.id);
    this.ctx.work.start(async () => {
      let error = run.scriptedFailure;
      if (error === undefined && manifestText !== undefined) {
        const manifest = parseJobManifest(manifestText, GLUE_MANIFEST_ARGUMENT);
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
      if (error !== undefined) run.errorMessage = error;
      await this.runs.save(run);
      await this.finishIfDone(run);
    });
  }

  private async finishIfDone(run: GlueJobRunRecord): Promise<void> {
    if (run.state !== 'RUNNING' || run.work !== 'done' || this.ctx.clock.now() < run.deadline) return;
    this.transition(run, run.errorMessage === undefined ? 'SUCCEEDED' : 'FAILED');
    this.ctx.scheduler.cancel(`glue:${run.id}:timeout`);
    await this.runs.save(run);
    await this.afterEnd(run);
  }

  private async expire(run: GlueJobRunRecord): Promise<void> {
    if (run.state !== 'WAITING') return;
    run.errorMessage = `Job run expired: it waited for resources longer than its timeout (${run.timeoutMinutes} minutes)`;
    this.transition(run, 'EXPIRED');
    await this.runs.save(run);
  }

  private async timeOut(run: GlueJobRunRecord): Promise<void> {
    if (run.state !== 'STARTING' && run.state !== 'RUNNING') return;
    run.errorMessage = `Job run timed out after ${run.timeoutMinutes} minutes`;
    this.transition(run, 'TIMEOUT');
    this.ctx.scheduler.cancel(`glue:${run.id}`);
    await this.runs.save(run);
    await this.afterEnd(run);
  }

  private transition(run: GlueJobRunRecord, state: GlueJobRunState, deadline?: number): void {
    const now = this.ctx.clock.now();
    run.state = state;
    run.modifiedAt = now;
    if (deadline !== undefined) run.deadline = deadline;
    if (['STOPPED', 'SUCCEEDED', 'FAILED', 'TIMEOUT', 'EXPIRED'].includes(state)) run.completedAt = now;
  }

  private job(name: string): GlueJobConfig {
    const job = this.ctx.config.glue.jobs.find((j) => j.name === name);
    if (!job) throw notFound(`Job with name: ${name} not found.`);
    return job;
  }

  private jobView(job: GlueJobConfig): unknown {
    const created = epochSeconds(this.runs.createdAt);
    return {
      Name: job.name,
      Description: job.description,
      Role: job.role,
      CreatedOn: created,
      LastModifiedOn: created,
      ExecutionProperty: { MaxConcurrentRuns: job.maxConcurrentRuns },
      Command: { Name: 'glueetl', ScriptLocation: job.scriptLocation, PythonVersion: '3' },
      DefaultArguments: job.defaultArguments,
      MaxRetries: job.maxRetries,
      JobRunQueuingEnabled: job.jobRunQueuingEnabled,
      Timeout: job.timeoutMinutes,
      WorkerType: job.workerType,
      NumberOfWorkers: job.numberOfWorkers,
      GlueVersion: job.glueVersion,
      ExecutionClass: 'STANDARD',
    };
  }

  private runView(run: GlueJobRunRecord): unknown {
    const job = this.job(run.jobName);
    const end = run.completedAt ?? this.ctx.clock.now();
    const executionSeconds = run.runningSince === undefined ? 0 : Math.round((end - run.runningSince) / 1000);
    return {
      Id: run.id,
      Attempt: run.attempt ?? 0,
      PreviousRunId: run.previousRunId,
      StateDetail: run.stateDetail,
      JobName: run.jobName,
      JobMode: 'SCRIPT',
      StartedOn: epochSeconds(run.startedAt),
      LastModifiedOn: epochSeconds(run.modifiedAt),
      CompletedOn: epochSeconds(run.completedAt),
      JobRunState: run.state,
      Arguments: run.arguments,
      ErrorMessage: run.errorMessage,
      PredecessorRuns: [],
      ExecutionTime: executionSeconds,
      Timeout: run.timeoutMinutes,
      WorkerType: run.workerType,
      NumberOfWorkers: run.numberOfWorkers,
      LogGroupName: '/aws-glue/jobs',
      GlueVersion: job.glueVersion,
      ExecutionClass: 'STANDARD',
    };
  }
}

function notFound(message: string): AwsError {
  return new AwsError('EntityNotFoundException', message);
}

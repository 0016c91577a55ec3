import { z } from 'zod';
import { addDays, localDate, startOfDayUtc } from '../../../core/dates';
import type { DmsTaskConfig } from '../../emulator-config';
import { AwsError } from '../../http/aws-error';
import { paginate } from '../../http/pagination';
import { parseTimestamp } from '../../http/timestamps';
import { parseInput } from '../../http/validate-input';
import type { StateFile } from '../../runtime/state-file';
import { mainPhaseMs, takeScriptedFailure } from '../run-timing';
import type { ServiceContext } from '../service-context';
import { type StopPosition, decodeStartPosition, encodeCheckpoint, parseStopPosition } from './dms-positions';
import type { DmsRunRecord, DmsTaskRecord, DmsTasksState } from './dms-task-records';
import { dmsTaskView } from './dms-task-view';

const STOP_REASON = {
  commitTime: 'Stop Reason STOPPED_AT_COMMIT_TIME',
  serverTime: 'Stop Reason STOPPED_AT_SERVER_TIME',
  fullLoadOnly: 'Stop Reason FULL_LOAD_ONLY_FINISHED',
  normal: 'Stop Reason NORMAL',
  fatal: 'Stop Reason FATAL_ERROR',
} as const;

const INVALID_STATE = 'InvalidResourceStateFault';
const INVALID_VALUE = 'InvalidParameterValueException';
const INVALID_COMBINATION = 'InvalidParameterCombinationException';

const startInput = z.object({
  ReplicationTaskArn: z.string().min(1, 'Member must not be null'),
  StartReplicationTaskType: z.enum(['start-replication', 'resume-processing', 'reload-target'], {
    error: 'Member must be one of start-replication, resume-processing, reload-target',
  }),
  CdcStartTime: z.union([z.number(), z.string()]).optional(),
  CdcStartPosition: z.string().min(1).optional(),
  CdcStopPosition: z.string().min(1).optional(),
});
const describeInput = z.object({
  Filters: z.array(z.object({ Name: z.string(), Values: z.array(z.string()).min(1) })).optional(),
  MaxRecords: z.number().int().min(20).max(100).optional(),
  Marker: z.string().optional(),
  WithoutSettings: z.boolean().optional(),
});
const arnInput = z.object({ ReplicationTaskArn: z.string().min(1, 'Member must not be null') });

/**
 * DMS replication tasks writing bounded CDC windows: ready -> starting -> running -> stopped (at the
 * CdcStopPosition), stopping -> stopped on StopReplicationTask, failed on a source error.
 */
export class DmsTasks {
  /** Tasks whose window the simulator is writing right now (in this process). */
  private readonly writing = new Set<string>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly state: StateFile<DmsTasksState>,
  ) {}

  describeReplicationTasks(input: unknown): unknown {
    const request = parseInput(describeInput, input, INVALID_VALUE);
    const filters = request.Filters ?? [];
    const valueOf = (task: DmsTaskConfig, name: string): string | undefined =>
      ({
        'replication-task-arn': task.arn,
        'replication-task-id': task.id,
        'migration-type': task.migrationType,
        'endpoint-arn': undefined,
        'replication-instance-arn': this.instanceArn(),
      })[name];
    for (const filter of filters) {
      if (
        ![
          'replication-task-arn',
          'replication-task-id',
          'migration-type',
          'endpoint-arn',
          'replication-instance-arn',
        ].includes(filter.Name)
      ) {
        throw new AwsError(
          INVALID_VALUE,
          `Filter name "${filter.Name}" is not valid; use replication-task-arn, replication-task-id, migration-type, endpoint-arn or replication-instance-arn`,
        );
      }
    }
    const matching = this.ctx.config.dms.tasks.filter((task) =>
      filters.every((f) => {
        const value = valueOf(task, f.Name);
        return f.Name === 'endpoint-arn'
          ? f.Values.some(
              (v) => v === this.endpointArn(task, 'source') || v === this.endpointArn(task, 'target'),
            )
          : value !== undefined && f.Values.includes(value);
      }),
    );
    if (matching.length === 0)
      throw new AwsError('ResourceNotFoundFault', 'No Tasks found matching provided filters');
    const page = paginate(matching, (t) => t.arn, request.Marker, request.MaxRecords ?? 100, INVALID_VALUE);
    return {
      ReplicationTasks: page.items.map((task) => this.view(task, request.WithoutSettings === true)),
      Marker: page.nextToken,
    };
  }

  async startReplicationTask(input: unknown): Promise<unknown> {
    const request = parseInput(startInput, input, INVALID_VALUE);
    const task = this.ctx.config.dms.tasks.find((t) => t.arn === request.ReplicationTaskArn);
    const reject = async (error: AwsError) => {
      await this.ctx.calls.record({
        service: 'dms',
        operation: 'StartReplicationTask',
        resource: task?.id ?? request.ReplicationTaskArn,
        outcome: 'rejected',
        error: error.code,
      });
      return error;
    };
    if (!task) throw await reject(taskNotFound(request.ReplicationTaskArn));
    const record = this.record(task);
    if (['starting', 'running', 'stopping'].includes(record.status)) {
      throw await reject(
        new AwsError(
          INVALID_STATE,
          `Replication task ${task.id} is ${record.status}; start it again once it is stopped`,
        ),
      );
    }
    let window: ReturnType<DmsTasks['windowOf']>;
    try {
      window = this.windowOf(task, record, request);
    } catch (error) {
      throw await reject(error as AwsError);
    }
    const now = this.ctx.clock.now();
    const { sourceError, ...range } = window;
    // A source that cannot serve the start position fails the task as soon as it runs.
    const failure = sourceError ?? (await takeScriptedFailure(this.ctx, 'dms', [task.id]));
    record.run = {
      startType: request.StartReplicationTaskType,
      ...range,
      startedAt: now,
      deadline: now + this.ctx.config.timing.transitionMs,
      runMs: sourceError === undefined ? mainPhaseMs(this.ctx, 'dms', [task.id], task.durationMs) : 0,
      work: 'waiting',
      ...(failure === undefined ? {} : { scriptedFailure: failure }),
    };
    record.status = 'starting';
    delete record.stopReason;
    delete record.lastFailureMessage;
    record.cdcStartPosition = request.CdcStartPosition ?? naiveUtc(window.fromMs);
    if (request.CdcStopPosition === undefined) delete record.cdcStopPosition;
    else record.cdcStopPosition = request.CdcStopPosition;
    record.stats = {
      ...record.stats,
      fullLoadProgressPercent: window.fullLoad ? 0 : 100,
      tablesLoading: 0,
      tablesQueued: window.fullLoad ? task.tables.length : 0,
      startDate: now,
      ...(request.StartReplicationTaskType === 'resume-processing' ? {} : { freshStartDate: now }),
    };
    delete record.stats.stopDate;
    await this.state.save();
    await this.ctx.calls.record({
      service: 'dms',
      operation: 'StartReplicationTask',
      resource: task.id,
      outcome: 'started',
    });
    this.drive(task);
    return { ReplicationTask: this.view(task, false) };
  }

  async stopReplicationTask(input: unknown): Promise<unknown> {
    const { ReplicationTaskArn } = parseInput(arnInput, input, INVALID_VALUE);
    const task = this.ctx.config.dms.tasks.find((t) => t.arn === ReplicationTaskArn);
    if (!task) throw taskNotFound(ReplicationTaskArn);
    const record = this.record(task);
    if (!record.run || (record.status !== 'starting' && record.status !== 'running')) {
      throw new AwsError(
        INVALID_STATE,
        `Replication task ${task.id} is ${record.status}; only a running task can be stopped`,
      );
    }
    record.status = 'stopping';
    record.run.deadline = this.ctx.clock.now() + this.ctx.config.timing.transitionMs;
    await this.state.save();
    this.drive(task);
    return { ReplicationTask: this.view(task, false) };
  }

  resume(): void {
    for (const task of this.ctx.config.dms.tasks) this.drive(task);
  }

  /**
   * [start, stop) of a new start, by StartReplicationTaskType as the API reference documents it
   * (botocore dms 2016-01-01 StartReplicationTaskMessage): a chosen CDC start (CdcStartPosition or
   * CdcStartTime, "when you want a change data capture (CDC) operation to start") goes with
   * start-replication on a task that captures changes (cdc, full-load-and-cdc); resume-processing
   * continues from the task's last stop and takes no position; reload-target loads the tables again
   * and captures from then. A start without a position begins at the source's "now", never at an
   * invented past instant. The simulated source can serve a full load as of a past instant, which a
   * real database cannot: on AWS a first full load reads the tables as they are when it runs.
   */
  private windowOf(
    task: DmsTaskConfig,
    record: DmsTaskRecord,
    request: z.infer<typeof startInput>,
  ): { fromMs: number; fullLoad: boolean; stop?: StopPosition; sourceError?: string } {
    if (request.CdcStartTime !== undefined && request.CdcStartPosition !== undefined) {
      throw new AwsError(INVALID_COMBINATION, 'Specify either CdcStartTime or CdcStartPosition, not both');
    }
    const type = request.StartReplicationTaskType;
    const givenStart =
      request.CdcStartPosition !== undefined
        ? decodeStartPosition(request.CdcStartPosition)
        : request.CdcStartTime !== undefined
          ? parseTimestamp(request.CdcStartTime)
          : undefined;
    const cdcOnly = task.migrationType === 'cdc';
    if (givenStart !== undefined && type === 'resume-processing') {
      throw new AwsError(
        INVALID_COMBINATION,
        `resume-processing continues ${task.id} from its last stop position and takes no CdcStartPosition or CdcStartTime; ` +
          'to start from a chosen position use start-replication',
      );
    }
    if (givenStart !== undefined && task.migrationType === 'full-load') {
      throw new AwsError(
        INVALID_COMBINATION,
        `${task.id} is a full-load task: a CdcStartPosition or CdcStartTime says where a CDC operation starts, ` +
          'and a full-load task has none; use a cdc or full-load-and-cdc task',
      );
    }
    // No window completed yet (a first start that failed loaded nothing the lake keeps).
    const neverRan = record.checkpointMs === undefined;
    let fromMs: number;
    let fullLoad: boolean;
    switch (type) {
      case 'start-replication':
        fromMs = givenStart ?? this.ctx.clock.sourceNow();
        // A full-load-and-cdc task loads the tables on its first run, as of the point its CDC starts, so
        // load and changes meet there; restarted at a chosen position it only captures (the tables were
        // loaded). Restarted without one it loads them again as they are now, as reload-target does.
        fullLoad = !cdcOnly && (neverRan || givenStart === undefined);
        break;
      case 'resume-processing':
        if (record.checkpointMs === undefined) {
          throw new AwsError(
            INVALID_STATE,
            `resume-processing is only available for previously executed tasks; start ${task.id} with start-replication`,
          );
        }
        fromMs = record.checkpointMs;
        fullLoad = false;
        break;
      case 'reload-target':
        if (cdcOnly) {
          throw new AwsError(
            INVALID_COMBINATION,
            `reload-target loads the tables again, and ${task.id} is a cdc task with no full load; use start-replication`,
          );
        }
        fromMs = this.ctx.clock.sourceNow();
        fullLoad = true;
        break;
    }
    const stop =
      request.CdcStopPosition === undefined ? undefined : parseStopPosition(request.CdcStopPosition);
    if (stop && stop.ms < fromMs) {
      throw new AwsError(
        INVALID_VALUE,
        `CdcStopPosition ${request.CdcStopPosition} is before the start position ${naiveUtc(fromMs)}` +
          (givenStart === undefined
            ? type === 'resume-processing'
              ? ` where ${task.id} last stopped`
              : ` (a start without CdcStartPosition or CdcStartTime captures from now)`
            : ''),
      );
    }
    const logStart = this.ctx.sources.changeLogStartUtc?.getTime();
    const sourceError =
      logStart !== undefined && fromMs < logStart
        ? `Last Error The source's change log begins at ${naiveUtc(logStart)} UTC and does not reach back to ` +
          `the start position ${naiveUtc(fromMs)}: windows of dates from ${firstWholeDate(logStart, task.timeZone)} ` +
          `(${task.timeZone}) on can be extracted`
        : undefined;
    return { fromMs, fullLoad, ...(stop ? { stop } : {}), ...(sourceError ? { sourceError } : {}) };
  }

  /** Arms whatever the task's current status waits for. */
  private drive(task: DmsTaskConfig): void {
    const record = this.record(task);
    const run = record.run;
    if (!run) return;
    const key = `dms:${task.id}`;
    const now = this.ctx.clock.now();
    if (run.work === 'pending') this.writeWindow(task, record, run);
    switch (record.status) {
      case 'starting':
        this.ctx.scheduler.at(key, run.deadline, async () => {
          record.status = 'running';
          run.deadline = this.ctx.clock.now() + run.runMs;
          await this.state.save();
          this.drive(task);
        });
        break;
      case 'running':
        if (run.scriptedFailure !== undefined) {
          this.ctx.scheduler.at(key, run.deadline, () =>
            this.complete(task, record, run, run.scriptedFailure),
          );
        } else if (run.work === 'waiting') {
          this.waitForWindowEnd(task, record, run, key);
        } else if (run.work === 'done') {
          this.ctx.scheduler.at(key, Math.max(run.deadline, now), () => this.complete(task, record, run));
        }
        break;
      case 'stopping':
        if (run.work === 'waiting') {
          const sourceNow = this.ctx.clock.sourceNow();
          const end = Math.max(run.fromMs, Math.min(run.stop?.ms ?? sourceNow, sourceNow));
          this.launchWindow(task, record, run, end, STOP_REASON.normal);
        } else if (run.work === 'done') {
          this.ctx.scheduler.at(key, run.deadline, () => this.complete(task, record, run));
        }
        break;
      default:
        break;
    }
  }

  /** A running task writes its window once the source has reached the stop position. */
  private waitForWindowEnd(task: DmsTaskConfig, record: DmsTaskRecord, run: DmsRunRecord, key: string): void {
    const sourceNow = this.ctx.clock.sourceNow();
    if (run.stop) {
      if (run.stop.ms <= sourceNow) {
        const reason = run.stop.kind === 'commit_time' ? STOP_REASON.commitTime : STOP_REASON.serverTime;
        this.launchWindow(task, record, run, run.stop.ms, reason);
      } else if (this.ctx.script.sourceClock() === null) {
        this.ctx.scheduler.at(key, this.ctx.clock.now() + (run.stop.ms - sourceNow), () => this.drive(task));
      }
    } else if (task.migrationType === 'full-load') {
      run.fromMs = sourceNow;
      this.launchWindow(task, record, run, sourceNow, STOP_REASON.fullLoadOnly);
    }
  }

  private launchWindow(
    task: DmsTaskConfig,
    record: DmsTaskRecord,
    run: DmsRunRecord,
    endMs: number,
    reason: string,
  ): void {
    run.work = 'pending';
    run.windowEndMs = endMs;
    run.stopReason = reason;
    if (run.fullLoad)
      Object.assign(record.stats, {
        tablesLoading: task.tables.length,
        tablesQueued: 0,
        fullLoadStartDate: this.ctx.clock.now(),
      });
    this.writeWindow(task, record, run);
  }

  private writeWindow(task: DmsTaskConfig, record: DmsTaskRecord, run: DmsRunRecord): void {
    if (this.ctx.scheduler.isStopped || this.writing.has(task.id)) return;
    this.writing.add(task.id);
    this.ctx.work.start(async () => {
      await this.state.save();
      try {
        await this.ctx.sources.writeDmsWindow({
          seed: task.seed,
          schema: task.schema,
          tables: task.tables,
          fromUtc: new Date(run.fromMs),
          toUtc: new Date(run.windowEndMs!),
          fullLoad: run.fullLoad,
          partitionTimeZone: task.timeZone,
          cdcMaxBatchInterval: task.cdcMaxBatchInterval,
          outputUri: task.outputUri,
          resolve: this.ctx.lake.resolve,
        });
      } catch (error) {
        run.error = error instanceof Error ? error.message : String(error);
      } finally {
        this.writing.delete(task.id);
      }
      if (record.run !== run || run.work !== 'pending') return;
      run.work = 'done';
      const now = this.ctx.clock.now();
      if (run.fullLoad && run.error === undefined) {
        Object.assign(record.stats, {
          fullLoadProgressPercent: 100,
          tablesLoading: 0,
          fullLoadFinishDate: now,
        });
      }
      if (record.status === 'stopping') run.deadline = Math.max(run.deadline, now);
      await this.state.save();
      this.drive(task);
    });
  }

  private async complete(
    task: DmsTaskConfig,
    record: DmsTaskRecord,
    run: DmsRunRecord,
    scriptedFailure?: string,
  ): Promise<void> {
    if (record.run !== run) return;
    const now = this.ctx.clock.now();
    const error = scriptedFailure ?? run.error;
    delete record.run;
    record.stats.stopDate = now;
    if (error !== undefined) {
      record.status = 'failed';
      record.stopReason = STOP_REASON.fatal;
      record.lastFailureMessage = error;
      record.stats.tablesErrored = task.tables.length;
      record.stats.tablesLoading = 0;
    } else {
      record.status = 'stopped';
      record.stopReason = run.stopReason ?? STOP_REASON.normal;
      record.checkpointMs = run.windowEndMs!;
      record.checkpointSequence += 1;
      record.recoveryCheckpoint = encodeCheckpoint(
        run.windowEndMs!,
        record.checkpointSequence,
        task.tables.length,
      );
      Object.assign(record.stats, {
        fullLoadProgressPercent: 100,
        tablesLoaded: task.tables.length,
        tablesErrored: 0,
      });
    }
    await this.state.save();
  }

  private record(task: DmsTaskConfig): DmsTaskRecord {
    return (this.state.data.tasks[task.id] ??= {
      status: 'ready',
      checkpointSequence: 0,
      stats: {
        fullLoadProgressPercent: 0,
        tablesLoaded: 0,
        tablesLoading: 0,
        tablesQueued: 0,
        tablesErrored: 0,
      },
    });
  }

  private view(task: DmsTaskConfig, withoutSettings: boolean): unknown {
    return dmsTaskView({
      task,
      record: this.record(task),
      createdAt: this.state.data.createdAt,
      now: this.ctx.clock.now(),
      instanceArn: this.instanceArn(),
      sourceEndpointArn: this.endpointArn(task, 'source'),
      targetEndpointArn: this.endpointArn(task, 'target'),
      withoutSettings,
    });
  }

  private instanceArn(): string {
    return `arn:aws:dms:${this.ctx.config.region}:${this.ctx.config.accountId}:rep:MEDALLIONEMULATORINSTANCE`;
  }

  private endpointArn(task: DmsTaskConfig, side: 'source' | 'target'): string {
    const suffix = task.arn.split(':').pop()!;
    return `arn:aws:dms:${this.ctx.config.region}:${this.ctx.config.accountId}:endpoint:${side === 'source' ? 'SRC' : 'TGT'}${suffix.slice(3)}`;
  }
}

/** A UTC instant as DMS writes positions: YYYY-MM-DDTHH:MM:SS. */
function naiveUtc(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** The first date (in the zone) whose whole day lies at or after `ms`. */
function firstWholeDate(ms: number, timeZone: string): string {
  const date = localDate(new Date(ms), timeZone);
  return startOfDayUtc(date, timeZone).getTime() >= ms ? date : addDays(date, 1);
}

function taskNotFound(arn: string): AwsError {
  return new AwsError('ResourceNotFoundFault', `Replication Task ${arn} not found`);
}

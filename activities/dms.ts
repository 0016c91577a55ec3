/**
 * DMS stage: one bounded CDC window per logical date. The task runs from the previous date's
 * RecoveryCheckpoint (or, for a task's first window, from the day's start) to
 * `commit_time:<window end>` and stops there by itself; the checkpoint it reached is written as this
 * date's checkpoint object for the next window.
 *
 * Start types as the StartReplicationTask API reference documents them (botocore dms 2016-01-01,
 * StartReplicationTaskType / CdcStartPosition / CdcStartTime):
 * - the task last stopped exactly where the previous date's window ended: resume-processing (it
 *   continues from the task's last stop and takes no position);
 * - otherwise (first window, a window extracted again, dates out of order): start-replication with the
 *   position. The first window starts at the day's start (CdcStartTime): a start without a position
 *   captures from now, after the day has ended.
 *
 * The task's migration type decides what a lake's first window holds: a full-load-and-cdc task's first
 * start (start-replication on a task that never ran) loads every table first (`LOAD*.parquet`, Op 'I'
 * with IncludeOpForFullLoad, in the folder of the window's date), so the lake knows every product and
 * customer from its first date on; a cdc task captures that day's changes only. Every later window of
 * either is changes only.
 *
 * Attach rules (the "run" is the task working on our stop position; its run id is the task ARN):
 * - this date's checkpoint exists from this generation or an earlier one not asking again: done;
 * - task starting/running/stopping toward our stop position: attach;
 * - task stopped by reaching our stop position (and not the run an earlier generation recorded): done.
 *
 * StartReplicationTask takes no idempotency token: after any failed start call (a 5xx, a timeout, a
 * reset connection, or the InvalidResourceStateFault an SDK retry of a start that took effect gets),
 * the task is described before anything else, and a start that took effect is attached to.
 */
import {
  type DatabaseMigrationServiceClient,
  DescribeReplicationTasksCommand,
  type ReplicationTask,
  StartReplicationTaskCommand,
  type StartReplicationTaskCommandInput,
  StopReplicationTaskCommand,
} from '@aws-sdk/client-database-migration-service';
import { FailureType } from '../core/errors';
import type { DmsStageInput, StageResult } from '../core/stage-io';
import { activityContext, awsCall, clientRegion } from './aws-call';
import { detectedFailure, type FailureSubject } from './aws-errors';
import { consoleLinks, linkIn } from './console-links';
import { checkpointUri, type DmsCheckpoint, previousCheckpoint, readCheckpoint } from './dms-checkpoint';
import { type RunPhase, runToTerminal } from './poll-run';
import type { S3Activities } from './s3';
import { identitySchema, parseStageInput, pollSchema, s3PrefixSchema, text, z } from './stage-input';
import { stageResult } from './stage-result';

/** StopReason values meaning "stopped at the requested CdcStopPosition" (API returns "Stop Reason <X>"). */
export const DMS_STOP_REASON_COMMIT_TIME = 'Stop Reason STOPPED_AT_COMMIT_TIME';
const STOPPED_AT_POSITION = /STOPPED_AT_(COMMIT|SERVER)_TIME/;

/** Task statuses while a window is being worked on; `stopped` / `failed` are terminal. */
const ACTIVE_STATUSES = new Set(['starting', 'running', 'stopping']);
const DMS_STOP_WAIT_MS = 15 * 60_000;
/**
 * Statuses DMS leaves by itself after a CreateReplicationTask, ModifyReplicationTask,
 * MoveReplicationTask or an assessment run (ReplicationTask.Status in the API model, botocore dms
 * 2016-01-01): a window waits for them, retrying, rather than calling the task someone else's.
 */
const SETTLING_STATUSES = new Set(['creating', 'modifying', 'moving', 'testing']);
/** Migration types whose tasks capture changes, so a window may start at a chosen CDC position. */
const CAPTURING_TYPES = new Set(['cdc', 'full-load-and-cdc']);

const dmsInputSchema = z.object({
  kind: z.literal('dms'),
  identity: identitySchema,
  poll: pollSchema,
  replicationTaskArn: z.string().startsWith('arn:', 'expected the replication task ARN'),
  windowStartUtc: z.iso.datetime({ offset: true, message: 'expected an ISO-8601 UTC timestamp' }),
  windowEndUtc: z.iso.datetime({ offset: true, message: 'expected an ISO-8601 UTC timestamp' }),
  checkpointPrefix: s3PrefixSchema,
  tables: z.array(text),
  outputPrefix: s3PrefixSchema,
}) satisfies z.ZodType<DmsStageInput>;

/** `commit_time:YYYY-MM-DDTHH:MM:SS` (UTC, seconds) for a window end. */
export function commitTimeStopPosition(windowEndUtc: string): string {
  return `commit_time:${new Date(windowEndUtc).toISOString().slice(0, 19)}`;
}

function samePosition(a: string | undefined, b: string): boolean {
  return a !== undefined && a.trim().toLowerCase() === b.trim().toLowerCase();
}

function stoppedAt(task: ReplicationTask, position: string): boolean {
  return (
    task.Status === 'stopped' &&
    samePosition(task.CdcStopPosition, position) &&
    STOPPED_AT_POSITION.test(task.StopReason ?? '')
  );
}

type WindowStart = Pick<
  StartReplicationTaskCommandInput,
  'StartReplicationTaskType' | 'CdcStartPosition' | 'CdcStartTime'
>;

/**
 * How this window starts (see the file comment): resume-processing only when the task's last stop is
 * the previous window's end; otherwise start-replication from the previous checkpoint, or from the
 * day's start for a task's first window.
 */
function windowStart(
  task: ReplicationTask,
  previous: DmsCheckpoint | undefined,
  windowStartUtc: string,
): WindowStart {
  if (!previous) {
    return { StartReplicationTaskType: 'start-replication', CdcStartTime: new Date(windowStartUtc) };
  }
  const lastStopIsPrevious =
    stoppedAt(task, previous.stopPosition) &&
    (previous.recoveryCheckpoint === null || previous.recoveryCheckpoint === task.RecoveryCheckpoint);
  if (lastStopIsPrevious) return { StartReplicationTaskType: 'resume-processing' };
  return {
    StartReplicationTaskType: 'start-replication',
    // A checkpoint DMS did not report: the previous window's stop time, a date-format position.
    CdcStartPosition: previous.recoveryCheckpoint ?? previous.stopPosition.replace(/^[a-z_]+:/, ''),
  };
}

function startDateMs(task: ReplicationTask | undefined): number | undefined {
  const value = task?.ReplicationTaskStats?.StartDate ?? task?.ReplicationTaskStartDate;
  return value === undefined ? undefined : new Date(value).getTime();
}

/** After a failed start call: did a start toward our stop position take effect anyway? */
function startTookEffect(before: ReplicationTask, after: ReplicationTask, position: string): boolean {
  if (!samePosition(after.CdcStopPosition, position)) return false;
  return (
    ACTIVE_STATUSES.has(after.Status ?? '') ||
    startDateMs(after) !== startDateMs(before) ||
    after.RecoveryCheckpoint !== before.RecoveryCheckpoint
  );
}

function dmsPhase(task: ReplicationTask, position: string): RunPhase {
  if (stoppedAt(task, position)) return 'succeeded';
  if (ACTIVE_STATUSES.has(task.Status ?? '') && samePosition(task.CdcStopPosition, position))
    return 'running';
  return 'failed';
}

function dmsFailureMessage(task: ReplicationTask, position: string): string {
  const parts = [
    task.StopReason ? `${task.StopReason}` : undefined,
    samePosition(task.CdcStopPosition, position)
      ? undefined
      : `task stop position is ${task.CdcStopPosition ?? 'unset'}, this window needs ${position}`,
    task.LastFailureMessage,
  ].filter((p): p is string => Boolean(p));
  return parts.length > 0 ? parts.join('; ') : 'DMS reported no failure message';
}

export function createDmsActivities(clients: { dms: DatabaseMigrationServiceClient; s3: S3Activities }) {
  const { dms, s3 } = clients;
  const regionPromise = clientRegion(dms);

  async function runDmsStage(rawInput: DmsStageInput): Promise<StageResult> {
    const input = parseStageInput(dmsInputSchema, rawInput, 'runDmsStage');
    const { identity, replicationTaskArn: taskArn } = input;
    const region = await regionPromise;
    const stopPosition = commitTimeStopPosition(input.windowEndUtc);
    const ownCheckpointUri = checkpointUri(input.checkpointPrefix, identity.logicalDate);
    let taskIdentifier: string | undefined;
    const link = () => (taskIdentifier ? linkIn(region, consoleLinks.dmsTask, taskIdentifier) : undefined);
    const subject = (): FailureSubject => {
      const consoleUrl = link();
      return {
        service: 'DMS',
        job: taskIdentifier ?? taskArn,
        runId: taskArn,
        ...(consoleUrl ? { consoleUrl } : {}),
      };
    };

    const done = await readCheckpoint(s3, ownCheckpointUri);
    // A later generation running this stage asks for the window again (a deliberate rerun of it).
    const extractAgain = done !== undefined && (done.generation ?? 0) < identity.generation;
    if (done && !extractAgain) return finishedEarlier(done);

    const previous = await previousCheckpoint(s3, input.checkpointPrefix, identity.logicalDate);

    const describe = async (): Promise<ReplicationTask> => {
      const response = await awsCall(subject(), 'DescribeReplicationTasks', (options) =>
        dms.send(
          new DescribeReplicationTasksCommand({
            Filters: [{ Name: 'replication-task-arn', Values: [taskArn] }],
            WithoutSettings: true,
          }),
          options,
        ),
      );
      const task = response.ReplicationTasks?.[0];
      if (!task) {
        throw detectedFailure(
          FailureType.AwsNotFound,
          subject(),
          'replication task not found; check dms.tasks in the environment config',
        );
      }
      taskIdentifier = task.ReplicationTaskIdentifier ?? taskIdentifier;
      return task;
    };
    // Also names the task (its identifier) for messages and the console link.
    let seen = await describe();
    let lookups = 0;
    let startedWith: WindowStart | undefined;

    const outcome = await runToTerminal<ReplicationTask>({
      service: 'DMS',
      job: taskIdentifier ?? taskArn,
      poll: input.poll,
      stopWaitMs: DMS_STOP_WAIT_MS,
      consoleUrl: link,
      findExisting: async () => {
        // A second look-up happens only when a cancellation interrupted the start: describe afresh.
        const task = lookups++ === 0 ? seen : (seen = await describe());
        // Stopped at our position by the run an earlier generation recorded: that is not ours.
        const earlierGenerationsRun =
          extractAgain &&
          stoppedAt(task, stopPosition) &&
          task.RecoveryCheckpoint === done.recoveryCheckpoint;
        if (
          samePosition(task.CdcStopPosition, stopPosition) &&
          (ACTIVE_STATUSES.has(task.Status ?? '') || stoppedAt(task, stopPosition)) &&
          !earlierGenerationsRun
        ) {
          return { runId: taskArn, startedAt: task.ReplicationTaskStats?.StartDate };
        }
        if (task.Status !== 'ready' && task.Status !== 'stopped' && task.Status !== 'failed')
          throw busy(task);
        return undefined;
      },
      start: async () => {
        const before = seen;
        const how = windowStart(before, previous, input.windowStartUtc);
        if (
          how.StartReplicationTaskType === 'start-replication' &&
          !CAPTURING_TYPES.has(before.MigrationType ?? '')
        ) {
          throw detectedFailure(
            FailureType.InvalidConfig,
            subject(),
            `task is ${before.MigrationType ?? 'of an unknown migration type'}, but this window must start at ` +
              `${how.CdcStartPosition ?? how.CdcStartTime?.toISOString()}, and a chosen CDC start needs a task that ` +
              'captures changes (StartReplicationTask, CdcStartPosition); point dms.tasks at a task created ' +
              'with MigrationType full-load-and-cdc or cdc',
          );
        }
        try {
          await awsCall(subject(), 'StartReplicationTask', (options) =>
            dms.send(
              new StartReplicationTaskCommand({
                ReplicationTaskArn: taskArn,
                ...how,
                CdcStopPosition: stopPosition,
              }),
              options,
            ),
          );
        } catch (error) {
          // No idempotency token: the start may have taken effect although the call failed (a lost
          // response, or an SDK retry that met the task already starting). Look before anything else.
          const after = await describe().catch(() => undefined);
          if (!after || !startTookEffect(before, after, stopPosition)) throw error;
          activityContext()?.log.info(
            `DMS ${taskIdentifier ?? taskArn}: StartReplicationTask failed but the start took effect; attaching`,
          );
          seen = after;
          startedWith = how;
          return { runId: taskArn, startedAt: after.ReplicationTaskStats?.StartDate };
        }
        startedWith = how;
        return { runId: taskArn };
      },
      describe: () => describe(),
      stateOf: (task) => task.Status ?? 'unknown',
      phaseOf: (task) => dmsPhase(task, stopPosition),
      failureMessage: (task) => dmsFailureMessage(task, stopPosition),
      stop: async () => {
        await awsCall(subject(), 'StopReplicationTask', (options) =>
          dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: taskArn }), options),
        );
      },
    });

    const checkpoint: DmsCheckpoint = {
      logicalDate: identity.logicalDate,
      recoveryCheckpoint: outcome.status.RecoveryCheckpoint ?? null,
      stopPosition,
      taskArn,
      generation: identity.generation,
    };
    await s3.writeJson(ownCheckpointUri, checkpoint);
    return stageResult(identity, outcome, {
      details: {
        ...checkpointDetails(checkpoint),
        checkpointUri: ownCheckpointUri,
        ...(previous ? { previousCheckpointDate: previous.logicalDate } : {}),
        ...(startedWith ? { startType: startedWith.StartReplicationTaskType! } : {}),
      },
    });

    function busy(task: ReplicationTask) {
      if (SETTLING_STATUSES.has(task.Status ?? '')) {
        return detectedFailure(
          FailureType.AwsConcurrencyLimit,
          subject(),
          `task is ${task.Status}: DMS has not finished a create, modify, move or assessment request; ` +
            'this window retries once the task is ready or stopped',
          task.Status,
        );
      }
      if (task.Status === 'deleting') {
        return detectedFailure(
          FailureType.InvalidConfig,
          subject(),
          'task is being deleted; point dms.tasks at a replication task that exists',
          task.Status,
        );
      }
      const theirs = task.CdcStopPosition;
      const earlierWindow =
        theirs !== undefined &&
        theirs.startsWith('commit_time:') &&
        theirs.toLowerCase() < stopPosition.toLowerCase();
      return detectedFailure(
        earlierWindow ? FailureType.AwsConcurrencyLimit : FailureType.InvalidConfig,
        subject(),
        earlierWindow
          ? `task is ${task.Status} on an earlier window (to ${theirs}); this window (to ${stopPosition}) retries after it stops`
          : `task is ${task.Status} with stop position ${theirs ?? 'unset'}, not a window of this pipeline; ` +
              'medallion needs the task to itself: stop it (or point dms.tasks at a dedicated task)',
        task.Status,
      );
    }

    function finishedEarlier(checkpoint: DmsCheckpoint): StageResult {
      if (!samePosition(checkpoint.stopPosition, stopPosition)) {
        throw detectedFailure(
          FailureType.InvalidConfig,
          subject(),
          `${ownCheckpointUri} records a window to ${checkpoint.stopPosition} but this run asks for ${stopPosition} ` +
            "(did the pipeline's time zone change?); delete the checkpoint only if that window must be extracted again",
        );
      }
      const now = new Date().toISOString();
      return {
        stageId: identity.stageId,
        awsRunId: taskArn,
        awsState: 'stopped',
        attached: true,
        startedAt: now,
        finishedAt: now,
        durationMs: 0,
        details: { ...checkpointDetails(checkpoint), checkpointUri: ownCheckpointUri, statusCalls: 0 },
      };
    }
  }

  return { runDmsStage };
}

function checkpointDetails(checkpoint: DmsCheckpoint): Record<string, string> {
  return {
    logicalDate: checkpoint.logicalDate,
    recoveryCheckpoint: checkpoint.recoveryCheckpoint ?? '',
    stopPosition: checkpoint.stopPosition,
    taskArn: checkpoint.taskArn,
  };
}

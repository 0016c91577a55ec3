import type { DmsTaskConfig } from '../../emulator-config';
import { epochSeconds } from '../../http/timestamps';
import type { DmsTaskRecord } from './dms-task-records';

export interface DmsTaskViewInput {
  task: DmsTaskConfig;
  record: DmsTaskRecord;
  createdAt: number;
  now: number;
  instanceArn: string;
  sourceEndpointArn: string;
  targetEndpointArn: string;
  withoutSettings: boolean;
}

/** A ReplicationTask as DescribeReplicationTasks / Start / Stop answer it. */
export function dmsTaskView(input: DmsTaskViewInput): Record<string, unknown> {
  const { task, record } = input;
  const stats = record.stats;
  const tableMappings = {
    rules: task.tables.map((table, index) => ({
      'rule-type': 'selection',
      'rule-id': String(index + 1),
      'rule-name': String(index + 1),
      'object-locator': { 'schema-name': task.schema, 'table-name': table },
      'rule-action': 'include',
    })),
  };
  const settings = {
    TargetMetadata: { TargetSchema: '', SupportLobs: true, LobChunkSize: 64 },
    FullLoadSettings: { TargetTablePrepMode: 'DO_NOTHING' },
    Logging: { EnableLogging: true },
    EmulatorS3Target: {
      OutputUri: task.outputUri,
      DatePartitionEnabled: true,
      DatePartitionTimezone: task.timeZone,
      CdcMaxBatchInterval: task.cdcMaxBatchInterval,
    },
  };
  return {
    ReplicationTaskIdentifier: task.id,
    ReplicationTaskArn: task.arn,
    SourceEndpointArn: input.sourceEndpointArn,
    TargetEndpointArn: input.targetEndpointArn,
    ReplicationInstanceArn: input.instanceArn,
    MigrationType: task.migrationType,
    TableMappings: JSON.stringify(tableMappings),
    ReplicationTaskSettings: input.withoutSettings ? undefined : JSON.stringify(settings),
    Status: record.status,
    LastFailureMessage: record.lastFailureMessage,
    StopReason: record.stopReason,
    ReplicationTaskCreationDate: epochSeconds(input.createdAt),
    ReplicationTaskStartDate: epochSeconds(stats.startDate),
    CdcStartPosition: record.cdcStartPosition,
    CdcStopPosition: record.cdcStopPosition,
    RecoveryCheckpoint: record.recoveryCheckpoint,
    ReplicationTaskStats: {
      FullLoadProgressPercent: stats.fullLoadProgressPercent,
      ElapsedTimeMillis: stats.startDate === undefined ? 0 : (stats.stopDate ?? input.now) - stats.startDate,
      TablesLoaded: stats.tablesLoaded,
      TablesLoading: stats.tablesLoading,
      TablesQueued: stats.tablesQueued,
      TablesErrored: stats.tablesErrored,
      FreshStartDate: epochSeconds(stats.freshStartDate),
      StartDate: epochSeconds(stats.startDate),
      StopDate: epochSeconds(stats.stopDate),
      FullLoadStartDate: epochSeconds(stats.fullLoadStartDate),
      FullLoadFinishDate: epochSeconds(stats.fullLoadFinishDate),
    },
  };
}

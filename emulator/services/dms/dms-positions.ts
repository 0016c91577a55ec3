import { AwsError } from '../../http/aws-error';

/**
 * DMS positions. A RecoveryCheckpoint looks like the real ones
 * (`checkpoint:V1#<seq>#<source position>#0#0#*#0#<n>`); here the source position is the window end in
 * epoch milliseconds written as a PostgreSQL-style LSN (`XXXXXXXX/XXXXXXXX`), so feeding it back as
 * CdcStartPosition continues exactly where the previous window stopped.
 */
export function encodeCheckpoint(positionMs: number, sequence: number, tableCount: number): string {
  const high = Math.floor(positionMs / 2 ** 32);
  const low = positionMs % 2 ** 32;
  const lsn = `${hex8(high)}/${hex8(low)}`;
  return `checkpoint:V1#${sequence}#${lsn}#0#0#*#0#${tableCount}`;
}

const CHECKPOINT = /^checkpoint:V1#\d+#([0-9A-F]{8})\/([0-9A-F]{8})#/i;
const NAIVE_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

/** CdcStartPosition as DMS takes it: a checkpoint or a date-time (UTC), e.g. 2018-03-08T12:12:12. */
export function decodeStartPosition(position: string): number {
  const checkpoint = CHECKPOINT.exec(position);
  if (checkpoint) return parseInt(checkpoint[1]!, 16) * 2 ** 32 + parseInt(checkpoint[2]!, 16);
  if (NAIVE_DATE_TIME.test(position)) return Date.parse(`${position}Z`);
  throw new AwsError(
    'InvalidParameterValueException',
    `CdcStartPosition "${position}" is not a position this source understands: use a RecoveryCheckpoint (checkpoint:V1#...) or a UTC date-time like 2018-03-08T12:12:12`,
  );
}

export interface StopPosition {
  kind: 'commit_time' | 'server_time';
  ms: number;
}

/** CdcStopPosition: `commit_time:YYYY-MM-DDTHH:MM:SS` or `server_time:YYYY-MM-DDTHH:MM:SS` (UTC). */
export function parseStopPosition(position: string): StopPosition {
  const match = /^(commit_time|server_time):(.+)$/.exec(position);
  if (!match || !NAIVE_DATE_TIME.test(match[2]!) || Number.isNaN(Date.parse(`${match[2]}Z`))) {
    throw new AwsError(
      'InvalidParameterValueException',
      `CdcStopPosition "${position}" is invalid: use commit_time:YYYY-MM-DDTHH:MM:SS or server_time:YYYY-MM-DDTHH:MM:SS (UTC)`,
    );
  }
  return { kind: match[1] as StopPosition['kind'], ms: Date.parse(`${match[2]}Z`) };
}

function hex8(value: number): string {
  return value.toString(16).toUpperCase().padStart(8, '0');
}

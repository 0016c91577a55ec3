/**
 * How medallion recognises its own schedules on a shared server: the id starts with `medallion:` AND
 * the memo carries the marker written at creation. Both are needed: a schedule someone else named
 * `medallion:x` is still not ours, and the reconcile never updates or deletes it.
 */
const SCHEDULE_ID_PREFIX = 'medallion:';
const MEMO_KEY = 'medallion';

interface OwnershipMemo {
  managedBy: 'medallion';
  pipeline: string;
}

/** One schedule per pipeline: a second one would start a second run for the same logical date. */
export function scheduleIdFor(pipeline: string): string {
  return `${SCHEDULE_ID_PREFIX}${pipeline}`;
}

/** Scheduled runs get `<prefix>-<RFC 3339 slot time>` from the server, e.g. shop/scheduled-2026-03-30T01:00:00Z. */
export function workflowIdPrefixFor(pipeline: string): string {
  return `${pipeline}/scheduled`;
}

export function ownershipMemo(pipeline: string): Record<string, unknown> {
  return { [MEMO_KEY]: { managedBy: 'medallion', pipeline } satisfies OwnershipMemo };
}

/** The pipeline of a schedule medallion owns, or undefined when the schedule is not medallion's. */
export function ownedPipeline(
  scheduleId: string,
  memo: Record<string, unknown> | undefined,
): string | undefined {
  if (!scheduleId.startsWith(SCHEDULE_ID_PREFIX)) return undefined;
  const marker = memo?.[MEMO_KEY] as Partial<OwnershipMemo> | undefined;
  if (marker?.managedBy !== 'medallion' || typeof marker.pipeline !== 'string') return undefined;
  return marker.pipeline;
}

/**
 * What a person types on the command line: a pipeline name (`shop` -> `medallion:shop`) or a full
 * schedule id, taken as it is (so `nightly-report` is reported as not medallion's, not as missing).
 */
export function resolveScheduleId(idOrPipeline: string): string {
  return /^[a-z][a-z0-9_]{0,62}$/.test(idOrPipeline) ? scheduleIdFor(idOrPipeline) : idOrPipeline;
}

/**
 * The input field the backfill adds to the daily run it starts for each date, taken off the input
 * before the daily input is checked, so runs without it behave as any daily run:
 *   "backfillLanes": ["ingest", "dimension"]
 * - `ingest`: the run was started at its date's turn in the backfill's ingest lane and tells the
 *   backfill when its CDC windows are over (the next date's windows start where these stopped);
 * - `dimension`: its SCD2 merges (and the stages downstream of them) wait for the backfill's
 *   dimension lane, which merges dates oldest first (rule 9).
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { BACKFILL_LANES, type BackfillLane } from '../core/backfill-lanes';
import { FailureType } from '../core/errors';

export interface BackfillLanesFlag {
  backfillLanes?: BackfillLane[];
}

export function takeBackfillLanes(raw: unknown): { rest: unknown; lanes: BackfillLane[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { rest: raw, lanes: [] };
  const { backfillLanes, ...rest } = raw as Record<string, unknown>;
  if (backfillLanes === undefined) return { rest, lanes: [] };
  if (
    !Array.isArray(backfillLanes) ||
    backfillLanes.some((lane) => !BACKFILL_LANES.includes(lane as BackfillLane))
  ) {
    const problem = `use a list of ${BACKFILL_LANES.map((l) => `"${l}"`).join(', ')}`;
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      nonRetryable: true,
      message: `invalid input field "backfillLanes": ${problem} (set by the backfill workflow; leave it out otherwise)`,
      details: [{ field: 'backfillLanes', problem }],
    });
  }
  return { rest, lanes: [...new Set(backfillLanes as BackfillLane[])] };
}

/** The run was started by a backfill (it carries the lanes field). */
export function startedByBackfill(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && Array.isArray((raw as BackfillLanesFlag).backfillLanes);
}

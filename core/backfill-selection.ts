/**
 * Which dates a backfill runs, as what, and why: decided from the run-state markers of each date
 * (read by an activity, so the decision is part of the history and replays the same). Pure.
 */
import type { BackfillOnly, BackfillOrder, DateRunState } from './backfill-contracts';

export interface DateDecision {
  date: string;
  action: 'run' | 'rerun' | 'skip';
  reason: string;
}

export function decideDate(
  state: DateRunState,
  stageIds: readonly string[],
  only: BackfillOnly,
): DateDecision {
  const done = new Set(state.done);
  const notDone = stageIds.filter((id) => !done.has(id));
  const { date } = state;
  const incomplete = `last run did not finish: ${notDone.length} of ${stageIds.length} stages not done (${preview(notDone)})`;
  if (!state.ran) {
    if (only === 'failed') {
      return {
        date,
        action: 'skip',
        reason: 'never ran (only: failed reruns failed dates; use only: missing)',
      };
    }
    return { date, action: 'run', reason: 'never ran' };
  }
  if (only === 'all') return { date, action: 'rerun', reason: 'only: all reruns every stage of every date' };
  if (notDone.length === 0) return { date, action: 'skip', reason: 'already succeeded' };
  return { date, action: 'rerun', reason: incomplete };
}

/** The order in which dates start their data phase. */
export function processingOrder<T extends { date: string }>(items: readonly T[], order: BackfillOrder): T[] {
  const sorted = [...items].sort((a, b) => a.date.localeCompare(b.date));
  return order === 'newest' ? sorted.reverse() : sorted;
}

function preview(ids: string[]): string {
  return ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')}, …`;
}

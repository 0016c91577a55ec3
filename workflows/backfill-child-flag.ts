/**
 * The one input field the backfill adds to the daily runs it starts:
 *   { ..., "deferDimensionMerges": true }
 * The run then does every stage except the SCD2 merges and the stages downstream of them; the
 * backfill runs those afterwards in its dimension lane, one date at a time in date order (rule 9).
 * Taken off the input before the daily input is checked, so runs without it behave as before.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../core/errors';
import type { StageReport } from '../core/run-report';

export interface BackfillChildFlags {
  deferDimensionMerges?: boolean;
}

/** Versioning marker (patched()) of the deferral: only runs started with the flag take it. */
export const DEFER_DIMENSION_MERGES_PATCH = 'backfill-defer-dimension-merges';

export function takeBackfillChildFlags(raw: unknown): { rest: unknown; deferDimensionMerges: boolean } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('deferDimensionMerges' in raw)) {
    return { rest: raw, deferDimensionMerges: false };
  }
  const { deferDimensionMerges, ...rest } = raw as Record<string, unknown>;
  if (typeof deferDimensionMerges !== 'boolean') {
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      nonRetryable: true,
      message:
        'invalid input field "deferDimensionMerges": use true or false (set by the backfill workflow; leave it out otherwise)',
      details: [{ field: 'deferDimensionMerges', problem: 'use true or false' }],
    });
  }
  return { rest, deferDimensionMerges };
}

/** How a deferred stage shows in the daily run's report and the UI. */
export function deferredStageReport(stage: { id: string; kind: string; summary: string }): StageReport {
  return {
    id: stage.id,
    kind: stage.kind,
    summary: stage.summary,
    status: 'not-selected',
    details: { deferredTo: 'the backfill dimension lane (merges run one date at a time, in date order)' },
  };
}

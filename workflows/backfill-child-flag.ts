/**
 * The input fields the backfill adds to the daily runs it starts, taken off the input before the
 * daily input is checked, so runs without them behave as before:
 * - `"deferDimensionMerges": true`: the run does every stage except the SCD2 merges and the stages
 *   downstream of them; the backfill runs those afterwards in its dimension lane, one date at a time
 *   in date order (rule 9);
 * - `"runChain": "<id>"`: the run chain the run belongs to. The backfill runs a date in up to three
 *   runs (CDC windows, data phase, merges) over disjoint stages; as one chain they share one
 *   generation, so the date's idempotency keys and SCD2 batch ids are those of a single daily run.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../core/errors';
import type { StageReport } from '../core/run-report';

export interface BackfillChildFlags {
  deferDimensionMerges?: boolean;
  runChain?: string;
}

export function takeBackfillChildFlags(raw: unknown): {
  rest: unknown;
  deferDimensionMerges: boolean;
  runChain?: string;
} {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { rest: raw, deferDimensionMerges: false };
  }
  const { deferDimensionMerges, runChain, ...rest } = raw as Record<string, unknown>;
  if (deferDimensionMerges !== undefined && typeof deferDimensionMerges !== 'boolean') {
    throw invalidFlag('deferDimensionMerges', 'use true or false');
  }
  if (runChain !== undefined && (typeof runChain !== 'string' || runChain.length === 0)) {
    throw invalidFlag('runChain', 'use a non-empty string');
  }
  return {
    rest,
    deferDimensionMerges: deferDimensionMerges ?? false,
    ...(runChain !== undefined ? { runChain } : {}),
  };
}

/** Whether a backfill started this run (it passes its run chain); the input is not checked here. */
export function startedByBackfill(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as BackfillChildFlags).runChain !== undefined;
}

function invalidFlag(field: string, problem: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.InvalidInput,
    nonRetryable: true,
    message: `invalid input field "${field}": ${problem} (set by the backfill workflow; leave it out otherwise)`,
    details: [{ field, problem }],
  });
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

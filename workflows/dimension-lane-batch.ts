/**
 * The backfill's dimension lane merging a batch: consecutive dates whose data phase is done, each
 * SCD2 stage in ONE transaction for all of them (catch-up merges). A batch of one date runs the
 * date's own planned statements; a longer batch asks `planDimensionMerge` for the statements that
 * merge the dates in date order. Each date keeps its own ledger and stats rows (written by the
 * transaction) and stage-done marker (written by the stage activity for every member), so a single
 * date can still be rerun. A failure names the dates of the batch.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { DimensionMergeActivities } from '../core/activity-contracts';
import type { DimensionLaneTurn, MergeRequest } from '../core/backfill-lanes';
import { NON_RETRYABLE_FAILURES } from '../core/errors';
import type { PlannedStage } from '../core/plan';
import type { StageResult } from '../core/stage-io';
import { describeFailure } from './failure-text';
import { runDag } from './run-dag';
import { StageAttempts } from './stage-attempts';

const { planDimensionMerge } = proxyActivities<DimensionMergeActivities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    maximumAttempts: 10,
    initialInterval: '2s',
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES],
  },
  summary: 'plan one transaction merging consecutive dates of a dimension',
});

export interface BatchMember {
  date: string;
  /** The date's own merge requests (one per stage of the batch at least). */
  requests: readonly MergeRequest[];
}

/** Merges `stageIds` for `members` (consecutive dates, oldest first); the lane's answer for each date. */
export async function runMergeBatch(
  pipeline: string,
  members: readonly BatchMember[],
  stages: readonly { id: string; dependsOn: string[] }[],
): Promise<Map<string, DimensionLaneTurn>> {
  const first = members[0]!.date;
  const last = members.at(-1)!.date;
  const span = members.length === 1 ? first : `${first}..${last}`;
  const attempts = new StageAttempts({ started: () => undefined }, false);
  const merged = new Map<string, StageResult>();
  const failed: Record<string, string> = {};
  const blocked: Record<string, string> = {};
  const ids = new Set(stages.map((s) => s.id));

  const mergeOne = async (stageId: string): Promise<StageResult> => {
    const requests = members.map((m) => requestOf(m, stageId));
    const own = requests[0]!;
    const input =
      members.length === 1
        ? own.input
        : await planDimensionMerge({
            pipeline,
            stageId,
            members: members.map((m, i) => ({ logicalDate: m.date, identity: requests[i]!.input.identity })),
          });
    const stage: PlannedStage = {
      id: `${stageId} ${span}`,
      kind: 'scd2',
      dependsOn: [],
      summary:
        members.length === 1 ? own.summary : `${own.summary}, ${members.length} dates in one transaction`,
      activity: 'runRedshiftStage',
      input,
      options: own.options,
    };
    const result = { ...(await attempts.run(stage)), stageId };
    if (members.length === 1) return result;
    return {
      ...result,
      details: { ...result.details, mergedWith: `${span} (${members.length} dates, one transaction)` },
    };
  };

  const { cancellation } = await runDag(
    stages.map((s) => ({ id: s.id, dependsOn: s.dependsOn.filter((d) => ids.has(d)) })),
    stages.length,
    {
      run: async (node) => void merged.set(node.id, await mergeOne(node.id)),
      onFailed: (node, error) => {
        failed[node.id] =
          `${node.id}: the merge of ${span}` +
          `${members.length > 1 ? ` (${members.length} dates in one transaction)` : ''} failed: ${describeFailure(error)}`;
      },
      onBlocked: (node, blockedBy) => {
        blocked[node.id] = `${node.id} not run: ${blockedBy} of ${span} did not merge`;
      },
    },
  );
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrowing the SDK's own CancelledFailure
  if (cancellation !== undefined) throw cancellation;
  return new Map(
    members.map((m) => [
      m.date,
      { merged: Object.fromEntries(merged), failed: { ...failed }, blocked: { ...blocked } },
    ]),
  );
}

function requestOf(member: BatchMember, stageId: string): MergeRequest {
  const request = member.requests.find((r) => r.stageId === stageId);
  if (!request) throw new Error(`${member.date} did not hand ${stageId} to the dimension lane`);
  return request;
}

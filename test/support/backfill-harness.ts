import { createBackfillActivities } from '../../activities/backfill';
import { recordingStageDone } from '../../activities/stage-done-markers';
import { createPlanActivities } from '../../activities/plan-daily-run';
import { createDimensionMergeActivities } from '../../activities/plan-dimension-merge';
import type { PipelineActivities } from '../../core/activity-contracts';
import type { BackfillActivities } from '../../core/backfill-contracts';
import { awsTestEnvironment } from './aws-test-environment';
import type { StageInput, StageResult } from '../../core/stage-io';
import { warehouseSql } from '../../core/warehouse-statements';
import { loadPipelines } from '../../pipelines/registry';
import { noAlerts, succeeded } from './mock-activities';
import type { MemoryRunState } from './memory-run-state';

const shop = loadPipelines().shop!;
export const shopStageIds = shop.stages.map((s) => s.id);
export const scd2StageIds = shop.stages.filter((s) => s.kind === 'scd2').map((s) => s.id);
export const cdcStageIds = shop.stages.filter((s) => s.kind === 'dms').map((s) => s.id);

export interface StageCall {
  date: string;
  stage: string;
  generation: number;
  /** Set on the calls of one catch-up merge (one transaction for several dates). */
  transaction?: number;
  ended: boolean;
}

/** Every stage activity call, in start order, with the peaks of what ran at once. */
export class StageLog {
  readonly calls: StageCall[] = [];
  /**
   * Most dates with a stage other than a CDC window running at the same moment, a catch-up merge of
   * several dates counting once: bounded by the backfill's cap (windows take no data slot).
   */
  peakDates = 0;
  /** Most merge transactions of one SCD2 stage (one dimension) running at the same moment. */
  peakMergesPerDimension = 0;
  /** Most CDC windows (DMS stage calls, any dates) running at the same moment. */
  peakCdcWindows = 0;
  /** Each merge transaction of an SCD2 stage: its dates. */
  readonly mergeBatches: { stage: string; dates: string[] }[] = [];

  /** One call per date the input covers (a catch-up merge covers several). */
  beginAll(input: StageInput): StageCall[] {
    const merged = input.kind === 'redshift' ? (input.members ?? []).map((m) => m.logicalDate) : [];
    const dates = merged.length > 0 ? merged : [input.identity.logicalDate];
    if (scd2StageIds.includes(input.identity.stageId)) {
      this.mergeBatches.push({ stage: input.identity.stageId, dates });
    }
    const transaction = dates.length > 1 ? this.mergeBatches.length : undefined;
    return dates.map((date) =>
      this.begin({ ...input, identity: { ...input.identity, logicalDate: date } }, transaction),
    );
  }

  begin(input: StageInput, transaction?: number): StageCall {
    const { logicalDate: date, stageId: stage, generation } = input.identity;
    const call: StageCall = {
      date,
      stage,
      generation,
      ended: false,
      ...(transaction !== undefined ? { transaction } : {}),
    };
    this.calls.push(call);
    const running = this.calls.filter((c) => !c.ended);
    const units = new Set(
      running
        .filter((c) => !cdcStageIds.includes(c.stage))
        .map((c) => (c.transaction !== undefined ? `merge ${c.transaction}` : c.date)),
    );
    this.peakDates = Math.max(this.peakDates, units.size);
    if (cdcStageIds.includes(stage)) {
      this.peakCdcWindows = Math.max(
        this.peakCdcWindows,
        running.filter((c) => cdcStageIds.includes(c.stage)).length,
      );
    }
    if (scd2StageIds.includes(stage)) {
      const transactions = running
        .filter((c) => c.stage === stage)
        .map((c) => (c.transaction !== undefined ? `merge ${c.transaction}` : c.date));
      this.peakMergesPerDimension = Math.max(this.peakMergesPerDimension, new Set(transactions).size);
    }
    return call;
  }

  /** The dates in the order one stage started for them. */
  datesOf(stage: string): string[] {
    return this.calls.filter((c) => c.stage === stage).map((c) => c.date);
  }

  count(date: string, stage: string): number {
    return this.calls.filter((c) => c.date === date && c.stage === stage).length;
  }

  /** The dates in the order their first stage started. */
  firstStarts(): string[] {
    return [...new Set(this.calls.map((c) => c.date))];
  }
}

export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A stage behaviour that holds the stage calls `held` picks until `release()` is called; every call
 * then takes 5 ms. A test also calls `release` on a timer, so a failing check never leaves the worker
 * waiting on a stage.
 */
export function holdStagesUntilReleased(held: (input: StageInput) => boolean): {
  behaviour: (input: StageInput) => Promise<void>;
  release: () => void;
} {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const behaviour = async (input: StageInput) => {
    if (held(input)) await released;
    await pause(5);
  };
  return { behaviour, release };
}

/**
 * The real planning and backfill activities over an in-memory lake bucket, with stage activities
 * that log their calls and do what `behaviour` says (by default: take `stageMs` and succeed).
 */
export function backfillTestActivities(
  store: MemoryRunState,
  log: StageLog,
  options: { stageMs?: number; behaviour?: (input: StageInput) => Promise<void> } = {},
): PipelineActivities & BackfillActivities {
  const behaviour = options.behaviour ?? (() => pause(options.stageMs ?? 30));
  const stage = async (input: StageInput): Promise<StageResult> => {
    const calls = log.beginAll(input);
    try {
      await behaviour(input);
    } finally {
      for (const call of calls) call.ended = true;
    }
    return succeeded(input.identity.stageId);
  };
  const planning = createPlanActivities({
    env: awsTestEnvironment,
    pipelines: { shop },
    sql: warehouseSql,
    runState: store,
  });
  // As the worker does: each stage activity records its done marker before it returns.
  const stages = recordingStageDone(
    {
      runDmsStage: stage,
      runAppFlowStage: stage,
      runGlueStage: stage,
      runEmrServerlessStage: stage,
      runRedshiftStage: stage,
      recordCheckOutcomes: () => Promise.resolve(),
    },
    (request) => planning.recordStageDone(request),
  );
  return {
    ...planning,
    ...createBackfillActivities({ pipelines: { shop }, runState: store, attachPollMs: 50 }),
    ...createDimensionMergeActivities({ env: awsTestEnvironment, pipelines: { shop }, sql: warehouseSql }),
    ...stages,
    ...noAlerts,
  };
}

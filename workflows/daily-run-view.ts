/**
 * What a daily run shows of itself, kept in one place so the workflow body stays orchestration: the
 * report (returned, attached to a failure, answered by the `progress` query), the current-details
 * panel and the search attributes. Search attributes change only when what they say changes, and at
 * most once per workflow task: each upsert is a history event and a visibility write on the server,
 * and only the values a task ends with are ever seen (a task that starts four stages upserts once,
 * not four times). The details panel is redrawn on every change (no event).
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Plan, PlannedStage } from '../core/plan';
import { type DailyRunReport, type StageReport, totalsOf } from '../core/run-report';
import { searchAttributeKeys } from '../core/search-attributes';
import type { StageResult } from '../core/stage-io';
import { checkOutcomesOf, describeFailure, failureClass, failureConsoleUrl } from './failure-text';
import { renderProgress } from './progress-text';
import { workflowNowMs } from './workflow-clock';

export const progressQuery = defineQuery<DailyRunReport>('progress');

const DIMENSION_LANE = "the backfill's dimension lane (merges run in date order, oldest first)";

export class DailyRunView {
  readonly report: DailyRunReport;
  private readonly byId = new Map<string, StageReport>();
  private published: { status?: string; stage?: string; date?: string } = {};
  private upsertQueued = false;

  constructor(pipeline: string, logicalDate: string | undefined) {
    this.report = {
      pipeline,
      logicalDate: logicalDate ?? '',
      generation: 0,
      status: 'planning',
      stages: [],
      totals: { rowsIn: 0, rowsOut: 0, quarantined: 0 },
    };
    setHandler(progressQuery, () => ({ ...this.report, totals: totalsOf(this.report.stages) }));
    this.upsertAtTaskEnds();
  }

  stage(id: string): StageReport {
    return this.byId.get(id)!;
  }

  /** `waiting`: stages left to the backfill's dimension lane (they wait for it after the data phase). */
  planned(plan: Plan, waiting: ReadonlySet<string>): void {
    Object.assign(this.report, {
      logicalDate: plan.logicalDate,
      generation: plan.generation,
      status: 'running',
    });
    this.report.stages = plan.stages.map((s) =>
      waiting.has(s.id)
        ? { ...initialStageReport(s), status: 'waiting', details: { waitingFor: DIMENSION_LANE } }
        : initialStageReport(s),
    );
    for (const s of this.report.stages) this.byId.set(s.id, s);
    this.publish();
  }

  started(id: string, attempt: number): void {
    const stage = this.stage(id);
    Object.assign(stage, { status: 'running', attempt, startedAt: new Date().toISOString() });
    delete stage.error;
    delete stage.errorClass;
    delete stage.checks;
    delete stage.finishedAt;
    this.publish();
  }

  succeeded(id: string, result: StageResult): void {
    const { stageId: _stageId, ...rest } = result;
    Object.assign(this.stage(id), rest, { status: 'succeeded' });
    this.publish();
  }

  failed(id: string, error: unknown): void {
    const consoleUrl = failureConsoleUrl(error);
    const checks = checkOutcomesOf(error);
    Object.assign(this.stage(id), {
      status: 'failed',
      error: describeFailure(error),
      errorClass: failureClass(error),
      ...(consoleUrl ? { consoleUrl } : {}),
      finishedAt: new Date().toISOString(),
      ...(checks ? { checks } : {}),
    });
    this.publish();
  }

  blocked(id: string, blockedBy: string): void {
    this.notRun(id, `not run: ${blockedBy} did not succeed`);
  }

  notRun(id: string, why: string): void {
    const stage = this.stage(id);
    Object.assign(stage, { status: 'blocked', error: why });
    if (stage.details) delete stage.details.waitingFor;
  }

  /** Stages done so far (succeeded, or done by an earlier run). */
  doneStageIds(): string[] {
    return this.report.stages
      .filter((s) => s.status === 'succeeded' || s.status === 'skipped')
      .map((s) => s.id);
  }

  /** One line saying why these stages are not done. */
  problemOf(ids: readonly string[]): string {
    return ids.map((id) => `${id} ${this.stage(id).status}: ${this.stage(id).error ?? ''}`.trim()).join('; ');
  }

  /** The data phase is over; these merges wait for the dimension lane of `backfill`. */
  awaitingDimensionLane(ids: readonly string[], backfill: string | undefined): void {
    const waitingFor = backfill
      ? `the dimension lane of ${backfill}: earlier dates merge first, then this one`
      : DIMENSION_LANE;
    for (const id of ids) this.stage(id).details = { ...this.stage(id).details, waitingFor };
    this.report.status = 'awaiting-merge';
    this.publish();
  }

  /** The stages after a backfill date's CDC windows wait for one of the backfill's data slots. */
  awaitingDataSlot(ids: readonly string[], backfill: string | undefined): void {
    const waitingFor = `a data slot of ${backfill ?? 'the backfill'}: at most its maxConcurrent dates run their data phase at once`;
    for (const id of ids) {
      const stage = this.stage(id);
      if (stage.status !== 'pending') continue;
      Object.assign(stage, { status: 'waiting', details: { ...stage.details, waitingFor } });
    }
    this.publish();
  }

  dataSlotOver(ids: readonly string[]): void {
    for (const id of ids) {
      const stage = this.stage(id);
      if (stage.status !== 'waiting') continue;
      stage.status = 'pending';
      if (stage.details) delete stage.details.waitingFor;
    }
    this.publish();
  }

  dimensionLaneOver(): void {
    this.report.status = 'running';
    for (const stage of this.report.stages) {
      if (stage.status !== 'waiting') continue;
      stage.status = 'pending';
      if (stage.details) delete stage.details.waitingFor;
    }
    this.publish();
  }

  /** A reset run takes these stages up again. */
  pendingAgain(ids: string[]): void {
    this.report.status = 'running';
    for (const id of ids) {
      const stage = this.stage(id);
      stage.status = 'pending';
      delete stage.error;
      delete stage.errorClass;
      delete stage.finishedAt;
    }
    this.publish();
  }

  cancelled(): void {
    for (const stage of this.report.stages)
      if (['running', 'pending', 'waiting'].includes(stage.status)) stage.status = 'cancelled';
    this.report.status = 'cancelled';
    this.publish();
    this.upsertNow();
  }

  /** The run's outcome, shown (status, totals) before what is left to do at its end (alerts). */
  conclude(): void {
    const failed = this.report.stages.some((s) => s.status === 'failed' || s.status === 'blocked');
    this.report.status = failed ? 'failed' : 'succeeded';
    this.report.totals = totalsOf(this.report.stages);
    this.publish();
    this.upsertNow();
  }

  /**
   * The end of the run: its report, or the PipelineFailed failure that carries it. A run with a stage
   * failed, or not run because the dimension lane held it back, fails.
   */
  finish(): DailyRunReport {
    if (this.report.status === 'running') this.conclude();
    const failed = this.report.stages.filter((s) => s.status === 'failed');
    const notRun = this.report.stages.filter((s) => s.status === 'blocked');
    if (failed.length + notRun.length > 0) {
      const parts = [
        ...(failed.length > 0
          ? [`${failed.length} stage(s) failed: ${failed.map((s) => `${s.id} (${s.error})`).join('; ')}`]
          : []),
        ...(failed.length === 0
          ? [`${notRun.length} stage(s) not run: ${notRun.map((s) => `${s.id} (${s.error})`).join('; ')}`]
          : []),
      ];
      throw ApplicationFailure.create({
        type: 'PipelineFailed',
        nonRetryable: true,
        message: `${workflowInfo().workflowId}: ${parts.join('; ')}`,
        details: [this.report],
      });
    }
    return this.report;
  }

  /** A run refused for its input: filterable as `MedallionStatus = "rejected"`. */
  rejected(): void {
    this.report.status = 'rejected';
    this.publish();
    this.upsertNow();
  }

  private publish(): void {
    this.upsertQueued = true;
    setCurrentDetails(renderProgress(this.report, workflowNowMs()));
  }

  /**
   * The SDK checks conditions only once a task's jobs and all the promise chains they set off have
   * run: this one upsert then carries the task's last values. Not cancellable: a cancelled run still
   * shows that it is cancelling.
   */
  private upsertAtTaskEnds(): void {
    void CancellationScope.nonCancellable(async () => {
      for (;;) {
        await condition(() => this.upsertQueued);
        this.upsertNow();
      }
    });
  }

  /** Upserts what changed, now: the run's end does so before its last command, which nothing may follow. */
  private upsertNow(): void {
    this.upsertQueued = false;
    const { status, logicalDate, pipeline } = this.report;
    const stage = stageAttribute(this.report);
    const date = logicalDate || undefined;
    if (status !== this.published.status || stage !== this.published.stage || date !== this.published.date) {
      upsertSearchAttributes([
        { key: searchAttributeKeys.pipeline, value: pipeline },
        { key: searchAttributeKeys.status, value: status },
        ...(date ? [{ key: searchAttributeKeys.logicalDate, value: date }] : []),
        ...(status !== 'planning' && status !== 'rejected'
          ? [{ key: searchAttributeKeys.generation, value: this.report.generation }]
          : []),
        // Unset once no stage is running or failed.
        { key: searchAttributeKeys.stage, value: stage ?? null },
      ]);
      this.published = { status, ...(stage ? { stage } : {}), ...(date ? { date } : {}) };
    }
  }
}

/**
 * `MedallionStage`: the first failed stage once one failed (what a person looks for), else the
 * stage started last among those running.
 */
function stageAttribute(report: DailyRunReport): string | undefined {
  const failed = report.stages.find((s) => s.status === 'failed');
  if (failed) return failed.id;
  if (report.status !== 'running') return undefined;
  const running = report.stages.filter((s) => s.status === 'running');
  running.sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''));
  return running.at(-1)?.id;
}

function initialStageReport(stage: PlannedStage): StageReport {
  const base = { id: stage.id, kind: stage.kind, summary: stage.summary };
  if (stage.notSelected) return { ...base, status: 'not-selected' };
  if (stage.doneEarlier) {
    const { stageId: _stageId, ...rest } = stage.doneEarlier;
    return { ...base, ...rest, status: 'skipped' };
  }
  return { ...base, status: 'pending' };
}

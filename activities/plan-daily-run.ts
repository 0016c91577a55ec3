/**
 * The planning activities of a daily run: check the request (before any AWS job is touched), pick the
 * rerun generation, and resolve the pipeline into a Plan; plus the marker written after each stage.
 */
import type { PlanDailyRunRequest, RecordStageDoneRequest } from '../core/activity-contracts';
import { dailyRunId } from '../core/activity-contracts';
import { logicalDateForScheduledTime } from '../core/dates';
import type { Environment } from '../core/environment';
import { invalidInput, requireDayEnded, requirePipeline } from '../core/invalid-input';
import { buildPlan, type Plan, type WarehouseSql } from '../core/plan';
import type { PipelineSpec } from '../core/pipeline-spec';
import type { RunState } from './run-state';

export interface PlanActivityDeps {
  env: Environment;
  pipelines: Record<string, PipelineSpec>;
  sql: WarehouseSql;
  runState: RunState;
}

export function createPlanActivities(deps: PlanActivityDeps) {
  const resolveDate = (request: PlanDailyRunRequest, spec: PipelineSpec): string => {
    if (request.logicalDate) return request.logicalDate;
    if (request.scheduledStartTime)
      return logicalDateForScheduledTime(new Date(request.scheduledStartTime), spec.timeZone);
    throw invalidInput('logicalDate', 'required when the run is not started by a schedule; use YYYY-MM-DD');
  };

  return {
    async planDailyRun(request: PlanDailyRunRequest): Promise<Plan> {
      const spec = requirePipeline(deps.pipelines, request.pipeline);
      const logicalDate = resolveDate(request, spec);
      requireDayEnded('logicalDate', logicalDate, spec.timeZone, request.nowUtc);
      const unknownStages = (request.only ?? []).filter((id) => !spec.stages.some((s) => s.id === id));
      if (unknownStages.length > 0) {
        throw invalidInput(
          'stages',
          `unknown stage(s) ${unknownStages.join(', ')}; ${spec.name} has ${spec.stages.map((s) => s.id).join(', ')}`,
        );
      }
      const { generation, plannedAt } = await claimGeneration(deps.runState, spec.name, logicalDate, request);
      // Stages asked for by name run even when done (buildPlan), so their markers are not read.
      const done = request.only?.length ? {} : await deps.runState.doneStages(spec.name, logicalDate);
      return buildPlan({
        spec,
        env: deps.env,
        sql: deps.sql,
        logicalDate,
        workflowId: dailyRunId(spec.name, logicalDate),
        generation,
        plannedAt,
        done,
        ...(request.only ? { only: request.only } : {}),
      });
    },

    async recordStageDone(request: RecordStageDoneRequest): Promise<void> {
      await deps.runState.markStageDone(request.pipeline, request.logicalDate, {
        generation: request.generation,
        result: request.result,
      });
    },
  };
}

/**
 * Generation 0 is the first run of a date. A run chain keeps its generation across activity retries
 * and UI resets; a new chain needs `rerun: true` to run a date that already ran, and gets max + 1.
 */
async function claimGeneration(
  runState: RunState,
  pipeline: string,
  logicalDate: string,
  request: PlanDailyRunRequest,
): Promise<{ generation: number; plannedAt: string }> {
  const entries = await runState.generations(pipeline, logicalDate);
  const mine = entries.find((e) => e.runChainId === request.runChainId);
  if (mine) return { generation: mine.generation, plannedAt: mine.plannedAt };
  if (entries.length > 0 && !request.rerun) {
    const last = entries[entries.length - 1]!;
    throw invalidInput(
      'rerun',
      `${dailyRunId(pipeline, logicalDate)} already ran (generation ${last.generation}, run ${last.runChainId}); ` +
        'start it with "rerun": true to run it again (finished stages are skipped, nothing is loaded twice)',
    );
  }
  const generation = entries.length === 0 ? 0 : Math.max(...entries.map((e) => e.generation)) + 1;
  const plannedAt = new Date().toISOString();
  entries.push({ generation, runChainId: request.runChainId, rerun: request.rerun, plannedAt });
  await runState.saveGenerations(pipeline, logicalDate, entries);
  return { generation, plannedAt };
}

/**
 * planDimensionMerge: the stage input of a catch-up merge, several consecutive dates of one dimension
 * merged in one transaction (core/sql/scd2-merge.ts says why that equals merging them one by one).
 * Everything wrong with the request is refused before any statement is planned, naming the field.
 */
import {
  type DimensionMergeActivities,
  MAX_DIMENSION_MERGE_MEMBERS,
  type PlanDimensionMergeRequest,
} from '../core/activity-contracts';
import { addDays, isIsoDate } from '../core/dates';
import { type Environment, warehouseTarget } from '../core/environment';
import { invalidInput, requirePipeline } from '../core/invalid-input';
import { pollSettings, type WarehouseBatch, type WarehouseSql, warehouseBatchOf } from '../core/plan';
import type { PipelineSpec, StageSpec } from '../core/pipeline-spec';
import { dimensionMergeRunKey } from '../core/run-key';
import { settingsFor } from '../core/stage-defaults';
import type { CopySource, RedshiftStageInput, StageRunIdentity } from '../core/stage-io';

export interface DimensionMergeActivityDeps {
  env: Environment;
  pipelines: Record<string, PipelineSpec>;
  sql: WarehouseSql;
}

type Scd2Stage = Extract<StageSpec, { kind: 'scd2' }>;

function scd2StageOf(spec: PipelineSpec, stageId: string): Scd2Stage {
  const scd2Ids = spec.stages.filter((stage) => stage.kind === 'scd2').map((stage) => stage.id);
  const stage = spec.stages.find((candidate) => candidate.id === stageId);
  if (!stage) {
    throw invalidInput(
      'stageId',
      `unknown stage "${stageId}"; the scd2 stages of ${spec.name} are ${scd2Ids.join(', ') || '(none)'}`,
    );
  }
  if (stage.kind !== 'scd2') {
    throw invalidInput(
      'stageId',
      `"${stageId}" is a ${stage.kind} stage; catch-up merges take an scd2 stage: ${scd2Ids.join(', ') || '(none)'}`,
    );
  }
  return stage;
}

function checkMembers(request: PlanDimensionMergeRequest): void {
  const { members } = request;
  if (!Array.isArray(members) || members.length === 0) {
    throw invalidInput(
      'members',
      'is empty; pass the dates to merge, oldest first, with their scd2 identities',
    );
  }
  if (members.length > MAX_DIMENSION_MERGE_MEMBERS) {
    throw invalidInput(
      'members',
      `has ${members.length} dates; one merge takes at most ${MAX_DIMENSION_MERGE_MEMBERS} (a Redshift transaction is ` +
        'at most 40 statements): split the dates into several merges, oldest first',
    );
  }
  members.forEach((member, index) => {
    const field = `members[${index}]`;
    if (!isIsoDate(member.logicalDate)) {
      throw invalidInput(`${field}.logicalDate`, `"${member.logicalDate}" is not a YYYY-MM-DD date`);
    }
    const previous = members[index - 1];
    if (previous && member.logicalDate !== addDays(previous.logicalDate, 1)) {
      throw invalidInput(
        `${field}.logicalDate`,
        `${member.logicalDate} does not follow ${previous.logicalDate} by one day; members are consecutive dates, ` +
          'oldest first (merge a gap in separate merges)',
      );
    }
    const identity: Partial<StageRunIdentity> = member.identity ?? {};
    const expected = {
      pipeline: request.pipeline,
      stageId: request.stageId,
      logicalDate: member.logicalDate,
    };
    for (const key of ['pipeline', 'stageId', 'logicalDate'] as const) {
      if (identity[key] !== expected[key]) {
        throw invalidInput(
          `${field}.identity.${key}`,
          `is ${JSON.stringify(identity[key])} but the member is ${key} ${expected[key]}; pass the identity the ` +
            "date's own daily plan gave this stage",
        );
      }
    }
    if (typeof identity.runKey !== 'string' || identity.runKey.length === 0) {
      throw invalidInput(
        `${field}.identity.runKey`,
        "is missing; pass the identity the date's own daily plan gave this stage",
      );
    }
    if (!Number.isInteger(identity.generation) || (identity.generation ?? -1) < 0) {
      throw invalidInput(
        `${field}.identity.generation`,
        'must be a whole number >= 0 (the generation of its daily plan)',
      );
    }
  });
}

export function createDimensionMergeActivities(deps: DimensionMergeActivityDeps): DimensionMergeActivities {
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- an activity returns a promise
    async planDimensionMerge(request: PlanDimensionMergeRequest): Promise<RedshiftStageInput> {
      const spec = requirePipeline(deps.pipelines, request.pipeline);
      const stage = scd2StageOf(spec, request.stageId);
      checkMembers(request);
      const batches: WarehouseBatch[] = [];
      const copies: CopySource[] = [];
      for (const member of request.members) {
        // The member's own batch id and files: as its daily plan would merge it alone.
        const { batch, copy } = warehouseBatchOf(
          stage,
          deps.env,
          spec.name,
          member.logicalDate,
          member.identity.runKey,
        );
        batches.push(batch);
        if (copy) copies.push(copy);
      }
      const first = request.members[0]!.identity;
      const identity: StageRunIdentity = {
        workflowId: first.workflowId,
        pipeline: spec.name,
        logicalDate: first.logicalDate,
        stageId: stage.id,
        generation: first.generation,
        runKey: dimensionMergeRunKey(
          stage.id,
          request.members.map((member) => member.identity.runKey),
        ),
      };
      return {
        kind: 'redshift',
        identity,
        poll: pollSettings(settingsFor(stage, deps.env.poll)),
        target: warehouseTarget(deps.env.warehouse),
        sqls: deps.sql.scd2Statements(stage.dimension, batches),
        ledgerLookup: deps.sql.ledgerLookupAll(stage.dimension, batches),
        ...(copies.length > 0 ? { copies } : {}),
        members: request.members.map((member) => ({
          logicalDate: member.logicalDate,
          generation: member.identity.generation,
        })),
      };
    },
  };
}

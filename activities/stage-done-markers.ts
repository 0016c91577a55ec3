/**
 * Each stage activity records its stage-done marker itself, once its AWS run succeeded and before it
 * returns, so a rerun skips the stage. Not a recordStageDone activity of the workflow after each
 * stage: that would be about half of a run's activities, and as many workflow tasks.
 */
import type { PipelineActivities, RecordStageDoneRequest } from '../core/activity-contracts';
import type { StageInput, StageResult } from '../core/stage-io';

export const STAGE_ACTIVITY_NAMES = [
  'runDmsStage',
  'runAppFlowStage',
  'runGlueStage',
  'runEmrServerlessStage',
  'runRedshiftStage',
] as const;

export type StageActivities = Pick<PipelineActivities, (typeof STAGE_ACTIVITY_NAMES)[number]>;

/** The same stage activities, each writing its done marker with `record` before it returns. */
export function recordingStageDone<T extends StageActivities>(
  activities: T,
  record: (request: RecordStageDoneRequest) => Promise<void>,
): T {
  const wrapped = { ...activities };
  for (const name of STAGE_ACTIVITY_NAMES) {
    const run = activities[name] as (input: StageInput) => Promise<StageResult>;
    (wrapped as Record<string, unknown>)[name] = async (input: StageInput): Promise<StageResult> => {
      const result = await run(input);
      const { pipeline, logicalDate, generation } = input.identity;
      // A catch-up merge is the stage of each of its dates.
      const dates = (input.kind === 'redshift' ? input.members : undefined) ?? [{ logicalDate, generation }];
      for (const date of dates) {
        await record({ pipeline, logicalDate: date.logicalDate, generation: date.generation, result });
      }
      return result;
    };
  }
  return wrapped;
}

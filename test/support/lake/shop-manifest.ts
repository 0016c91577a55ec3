import { dayWindowUtc } from '../../../core/dates';
import type { JobManifest } from '../../../core/job-manifest';
import { lakeLayout } from '../../../core/lake-layout';
import type { JobInputWithColumns } from '../../../emulator/jobs/manifest-schema';
import { DAY_END_PLACEHOLDER, DAY_START_PLACEHOLDER, type ShopJobStage } from '../../../pipelines/shop/jobs';

export interface ManifestContext {
  bucket: string;
  pipeline: string;
  logicalDate: string;
  timeZone: string;
}

/**
 * The manifest the plan builds for a job stage (as core/plan.ts does), including what the shop SQL
 * needs from it: the day bounds bound into the SQL, and the inputs' `columns` hints passed through.
 */
export function shopJobManifest(
  stage: ShopJobStage,
  context: ManifestContext,
): JobManifest & { inputs: JobInputWithColumns[] } {
  const { bucket, pipeline, logicalDate } = context;
  const { startUtc, endUtc } = dayWindowUtc(logicalDate, context.timeZone);
  const literal = (instant: Date) => instant.toISOString().slice(0, 19).replace('T', ' ');
  const { job } = stage;
  return {
    pipeline,
    stageId: stage.id,
    logicalDate,
    inputs: job.inputs.map((input) => {
      const { source } = input;
      const uri =
        source.layer === 'bronze-cdc'
          ? lakeLayout.cdcTable(bucket, source.schema, source.table, logicalDate)
          : source.layer === 'bronze-saas'
            ? lakeLayout.saasSnapshot(bucket, source.object, logicalDate)
            : source.allDates
              ? lakeLayout.silverAll(bucket, source.table)
              : lakeLayout[source.layer](bucket, source.table, logicalDate);
      return {
        name: input.name,
        uri,
        ...(input.optional ? { optional: true } : {}),
        ...(input.columns ? { columns: input.columns } : {}),
      };
    }),
    sql: job.sql
      .replaceAll('${time_zone}', context.timeZone)
      .replaceAll(DAY_START_PLACEHOLDER, literal(startUtc))
      .replaceAll(DAY_END_PLACEHOLDER, literal(endUtc)),
    ...(job.quarantineWhen ? { quarantineWhen: job.quarantineWhen } : {}),
    outputUri:
      job.output.layer === 'silver'
        ? lakeLayout.silver(bucket, job.output.table, logicalDate)
        : lakeLayout.gold(bucket, job.output.table, logicalDate),
    quarantineUri: lakeLayout.quarantine(bucket, stage.id, logicalDate),
    metricsUri: lakeLayout.metrics(bucket, pipeline, logicalDate, stage.id),
  };
}

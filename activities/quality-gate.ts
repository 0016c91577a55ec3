/**
 * The gate of a stage's data-quality checks: judge the measurements (core/check-evaluation.ts), and
 * when a `block` check failed, fail the stage with a non-retryable DataQualityFailed naming each
 * failed check, its measured value and its bound (details[0]: every outcome, for the run report).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { CheckOutcome, DataQualityFailureDetails } from '../core/check-outcome';
import { blockingFailures, type CheckMeasurements, evaluateChecks } from '../core/check-evaluation';
import { FailureType } from '../core/errors';
import { qualityCheckSchema } from '../core/quality-checks';
import type { JobMetrics, LakeCheckPlan, WarehouseCheckPlan } from '../core/stage-io';
import type { S3Activities } from './s3';
import { s3UriSchema, text, z } from './stage-input';

export const lakeCheckPlanSchema = z.object({
  declared: z.array(qualityCheckSchema),
  trailingMetricsUris: z.array(s3UriSchema),
}) satisfies z.ZodType<LakeCheckPlan>;

export const warehouseCheckPlanSchema = z.object({
  declared: z.array(qualityCheckSchema),
  probe: z.array(text).min(1),
  measures: z.record(z.string(), z.number().int().min(1)),
  rowCountStatement: z.number().int().min(1),
  trailingStatement: z.number().int().min(1).optional(),
}) satisfies z.ZodType<WarehouseCheckPlan>;

/** Judges the outcomes; throws DataQualityFailed when a blocking check failed, else returns them. */
export function gate(stageId: string, outcomes: CheckOutcome[]): CheckOutcome[] {
  const failed = blockingFailures(outcomes);
  if (failed.length === 0) return outcomes;
  const details: DataQualityFailureDetails = { checks: outcomes };
  throw ApplicationFailure.create({
    type: FailureType.DataQualityFailed,
    nonRetryable: true,
    message:
      `${failed.length} blocking check(s) failed: ${failed.map((o) => o.message).join('; ')}. ` +
      'Fix the data, then rerun the date: the checks are evaluated again',
    details: [details],
  });
}

/** A job stage's checks: the job's measurements, its counts, and the trailing dates' metrics. */
export async function judgeLakeChecks(
  s3: S3Activities,
  stageId: string,
  plan: LakeCheckPlan | undefined,
  metrics: JobMetrics,
): Promise<CheckOutcome[] | undefined> {
  if (!plan || plan.declared.length === 0) return undefined;
  const trailingCounts: number[] = [];
  for (const uri of plan.trailingMetricsUris) {
    const earlier = await s3.readJsonIfExists<Partial<JobMetrics>>(uri);
    if (typeof earlier?.rowsOut === 'number') trailingCounts.push(earlier.rowsOut);
  }
  const measurements: CheckMeasurements = {
    measured: metrics.checks ?? {},
    rowCount: metrics.rowsOut,
    rowsIn: metrics.rowsIn,
    quarantined: metrics.quarantined,
    trailingCounts,
  };
  return gate(stageId, evaluateChecks(stageId, plan.declared, measurements));
}

/** A warehouse stage's checks, from the rows of the probe's sub-statements (by 1-based position). */
export async function judgeWarehouseChecks(
  stageId: string,
  plan: WarehouseCheckPlan,
  rowsOf: (position: number) => Promise<Record<string, unknown>[]>,
): Promise<CheckOutcome[]> {
  const single = async (position: number): Promise<number | null> => {
    const value = (await rowsOf(position))[0]?.measured;
    return value === undefined || value === null ? null : Number(value);
  };
  const measured: Record<string, number | null> = {};
  for (const [name, position] of Object.entries(plan.measures)) measured[name] = await single(position);
  const trailingCounts =
    plan.trailingStatement === undefined
      ? []
      : (await rowsOf(plan.trailingStatement))
          .map((row) => Number(row.measured))
          .filter((n) => Number.isFinite(n));
  const rowCount = await single(plan.rowCountStatement);
  return gate(
    stageId,
    evaluateChecks(stageId, plan.declared, {
      measured,
      ...(rowCount === null ? {} : { rowCount }),
      trailingCounts,
    }),
  );
}

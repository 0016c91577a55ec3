/**
 * The one way medallion refuses an input a person typed (a workflow's input in the Temporal UI, a
 * CLI flag that becomes one, an activity request built from it): a non-retryable `InvalidInput`
 * failure whose message names the field and how to fix it, and whose details carry both apart.
 */
import { ApplicationFailure } from '@temporalio/common';
import { dayWindowUtc } from './dates';
import { FailureType } from './errors';
import type { PipelineSpec } from './pipeline-spec';

export function invalidInput(field: string, problem: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.InvalidInput,
    nonRetryable: true,
    message: `invalid input field "${field}": ${problem}`,
    details: [{ field, problem }],
  });
}

/**
 * Refuses a logical date whose day has not ended in the pipeline's time zone at `nowUtc` (ISO-8601):
 * its sources are not complete yet, so its data interval cannot be processed.
 */
export function requireDayEnded(field: string, date: string, timeZone: string, nowUtc: string): void {
  const { endUtc } = dayWindowUtc(date, timeZone);
  if (endUtc.getTime() > Date.parse(nowUtc)) {
    throw invalidInput(
      field,
      `${date} has not ended yet in ${timeZone} (its data interval ends ${endUtc.toISOString()}); pick an earlier date`,
    );
  }
}

/** The spec of the pipeline a request names, or a refusal that lists the pipelines there are. */
export function requirePipeline(pipelines: Record<string, PipelineSpec>, name: string): PipelineSpec {
  const spec = pipelines[name];
  if (!spec) {
    throw invalidInput('pipeline', `unknown pipeline "${name}"; known: ${Object.keys(pipelines).join(', ')}`);
  }
  return spec;
}

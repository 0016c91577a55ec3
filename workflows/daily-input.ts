/**
 * The input of `dailyPipeline`, as a person types it in the Temporal UI's Start Workflow form:
 *   { "pipeline": "shop", "logicalDate": "2026-01-15", "rerun": false, "stages": ["load_fact_orders"] }
 * Checked before anything runs; a bad field fails the run at once, non-retryably, naming the field.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { isIsoDate } from '../core/dates';
import type { DailyPipelineInput } from '../core/daily-contracts';
import { FailureType } from '../core/errors';

const KNOWN_FIELDS = new Set(['pipeline', 'logicalDate', 'rerun', 'stages']);

function invalid(field: string, problem: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.InvalidInput,
    nonRetryable: true,
    message: `invalid input field "${field}": ${problem}`,
    details: [{ field, problem }],
  });
}

export function validateDailyInput(
  raw: unknown,
): Required<Pick<DailyPipelineInput, 'pipeline' | 'rerun'>> &
  Pick<DailyPipelineInput, 'logicalDate' | 'stages'> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid('(input)', 'pass one JSON object, e.g. {"pipeline": "shop", "logicalDate": "2026-01-15"}');
  }
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!KNOWN_FIELDS.has(key)) throw invalid(key, `unknown field; allowed: ${[...KNOWN_FIELDS].join(', ')}`);
  }
  const { pipeline, logicalDate, rerun, stages } = input;
  if (typeof pipeline !== 'string' || !/^[a-z][a-z0-9_]*$/.test(pipeline)) {
    throw invalid('pipeline', 'give the pipeline name, e.g. "shop"');
  }
  if (logicalDate !== undefined && (typeof logicalDate !== 'string' || !isIsoDate(logicalDate))) {
    throw invalid(
      'logicalDate',
      `${JSON.stringify(logicalDate)} is not a date; use YYYY-MM-DD, e.g. "2026-01-15"`,
    );
  }
  if (rerun !== undefined && typeof rerun !== 'boolean') throw invalid('rerun', 'use true or false');
  if (stages !== undefined && (!Array.isArray(stages) || stages.some((s) => typeof s !== 'string'))) {
    throw invalid('stages', 'use a list of stage ids, e.g. ["silver_orders"]');
  }
  return {
    pipeline,
    rerun: rerun ?? false,
    ...(logicalDate !== undefined ? { logicalDate } : {}),
    ...(stages !== undefined ? { stages: stages as string[] } : {}),
  };
}

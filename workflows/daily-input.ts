/**
 * The input of `dailyPipeline`, as a person types it in the Temporal UI's Start Workflow form:
 *   { "pipeline": "shop", "logicalDate": "2026-01-15", "rerun": false, "stages": ["load_fact_orders"] }
 * Checked before anything runs; a bad field fails the run at once, non-retryably, naming the field.
 */
import { isIsoDate } from '../core/dates';
import type { DailyPipelineInput } from '../core/daily-contracts';
import { invalidInput } from '../core/invalid-input';

const KNOWN_FIELDS = new Set(['pipeline', 'logicalDate', 'rerun', 'stages']);

export function validateDailyInput(
  raw: unknown,
): Required<Pick<DailyPipelineInput, 'pipeline' | 'rerun'>> &
  Pick<DailyPipelineInput, 'logicalDate' | 'stages'> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalidInput(
      '(input)',
      'pass one JSON object, e.g. {"pipeline": "shop", "logicalDate": "2026-01-15"}',
    );
  }
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!KNOWN_FIELDS.has(key))
      throw invalidInput(key, `unknown field; allowed: ${[...KNOWN_FIELDS].join(', ')}`);
  }
  const { pipeline, logicalDate, rerun, stages } = input;
  if (typeof pipeline !== 'string' || !/^[a-z][a-z0-9_]*$/.test(pipeline)) {
    throw invalidInput('pipeline', 'give the pipeline name, e.g. "shop"');
  }
  if (logicalDate !== undefined && (typeof logicalDate !== 'string' || !isIsoDate(logicalDate))) {
    throw invalidInput(
      'logicalDate',
      `${JSON.stringify(logicalDate)} is not a date; use YYYY-MM-DD, e.g. "2026-01-15"`,
    );
  }
  if (rerun !== undefined && typeof rerun !== 'boolean') throw invalidInput('rerun', 'use true or false');
  if (stages !== undefined && (!Array.isArray(stages) || stages.some((s) => typeof s !== 'string'))) {
    throw invalidInput('stages', 'use a list of stage ids, e.g. ["silver_orders"]');
  }
  return {
    pipeline,
    rerun: rerun ?? false,
    ...(logicalDate !== undefined ? { logicalDate } : {}),
    ...(stages !== undefined ? { stages: stages as string[] } : {}),
  };
}

import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes medallion sets on its runs, so people can filter them in the Temporal UI
 * (e.g. `MedallionPipeline = "shop" AND MedallionStatus = "failed"`). Registered on the dev server by
 * `npm start` and the tests; on a real cluster by `temporal operator search-attribute create`.
 */
export const searchAttributeKeys = {
  pipeline: defineSearchAttributeKey('MedallionPipeline', SearchAttributeType.KEYWORD),
  logicalDate: defineSearchAttributeKey('MedallionLogicalDate', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('MedallionStatus', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('MedallionStage', SearchAttributeType.KEYWORD),
  generation: defineSearchAttributeKey('MedallionGeneration', SearchAttributeType.INT),
} as const;

/** Set by the Temporal scheduler on every run it starts (regular, backfill, trigger). */
export const scheduledStartTimeKey = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

import type { WorkflowExecutionInfo } from '@temporalio/client';
import { type SearchAttributePair, TypedSearchAttributes } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { dailyRunRow } from '../../cli/commands/status';
import { scheduledStartTimeKey, searchAttributeKeys } from '../../core/search-attributes';

function info(
  workflowId: string,
  status: WorkflowExecutionInfo['status']['name'],
  attributes: SearchAttributePair[],
): WorkflowExecutionInfo {
  return {
    type: 'dailyPipeline',
    workflowId,
    runId: `${workflowId}-run`,
    status: { name: status },
    startTime: new Date('2026-01-16T01:00:05Z'),
    ...(status === 'RUNNING' ? {} : { closeTime: new Date('2026-01-16T01:10:00Z') }),
    typedSearchAttributes: new TypedSearchAttributes(attributes),
  } as WorkflowExecutionInfo;
}

describe('dailyRunRow', () => {
  it('takes the date from MedallionLogicalDate, not from the workflow id', () => {
    const row = dailyRunRow(
      info('shop-nightly-2026-01-16T01:00:00Z', 'FAILED', [
        { key: searchAttributeKeys.pipeline, value: 'shop' },
        { key: searchAttributeKeys.logicalDate, value: '2026-01-15' },
        { key: searchAttributeKeys.status, value: 'failed' },
        { key: searchAttributeKeys.generation, value: 2 },
      ]),
    );
    expect(row).toMatchObject({
      pipeline: 'shop',
      logicalDate: '2026-01-15',
      state: 'failed',
      generation: 2,
    });
  });

  it("derives a scheduled run's date from TemporalScheduledStartTime until it has planned", () => {
    // 02:00 in Berlin on the 16th is the slot that processes the 15th.
    const row = dailyRunRow(
      info('shop-nightly-2026-01-16T01:00:00Z', 'RUNNING', [
        { key: searchAttributeKeys.pipeline, value: 'shop' },
        { key: scheduledStartTimeKey, value: new Date('2026-01-16T01:00:00Z') },
        { key: searchAttributeKeys.status, value: 'planning' },
      ]),
    );
    expect(row).toMatchObject({ logicalDate: '2026-01-15', state: 'planning' });
    expect(row.generation).toBeUndefined();
  });

  it('says how a closed run ended even when its last published status lags', () => {
    const row = dailyRunRow(
      info('shop/2026-01-15', 'TERMINATED', [
        { key: searchAttributeKeys.pipeline, value: 'shop' },
        { key: searchAttributeKeys.logicalDate, value: '2026-01-15' },
        { key: searchAttributeKeys.status, value: 'running' },
      ]),
    );
    expect(row.state).toBe('terminated');
  });

  it("reports a backfill's run waiting for its merges as awaiting-merge, not succeeded", () => {
    const row = dailyRunRow(
      info('shop/2026-01-15', 'RUNNING', [
        { key: searchAttributeKeys.pipeline, value: 'shop' },
        { key: searchAttributeKeys.logicalDate, value: '2026-01-15' },
        { key: searchAttributeKeys.status, value: 'awaiting-merge' },
      ]),
    );
    expect(row.state).toBe('awaiting-merge');
  });
});

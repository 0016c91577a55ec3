/**
 * The worker registers medallion's search attributes at start. MedallionLogicalDate is a Keyword (so
 * `MedallionLogicalDate = "2026-12-03"` works); a dev server whose database still has it as the
 * Datetime it once was gets it replaced, and the filter then finds runs by their date.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { devServerExecutable } from '../../local/temporal-binaries';
import { searchAttributeKeys } from '../../core/search-attributes';
import { ensureSearchAttributes } from '../../workers/search-attributes';
import { quietRuntime } from '../../local/temporal-servers';

const { IndexedValueType } = temporal.api.enums.v1;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  quietRuntime();
  // A dev server as an older medallion left it: the logical date registered as a Datetime.
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: devServerExecutable(),
      ip: '127.0.0.1',
      searchAttributes: [defineSearchAttributeKey('MedallionLogicalDate', SearchAttributeType.DATETIME)],
    },
  });
});

afterAll(async () => {
  await env?.teardown();
});

it('replaces a Datetime MedallionLogicalDate on a dev server with the Keyword, and filters by date', async () => {
  await ensureSearchAttributes(env.connection, 'default');
  const { customAttributes } = await env.connection.operatorService.listSearchAttributes({
    namespace: 'default',
  });
  expect(customAttributes?.MedallionLogicalDate).toBe(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
  expect(customAttributes?.MedallionStage).toBe(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);

  // No worker needed: visibility records the attributes a run is started with.
  await env.client.workflow.start('dailyPipeline', {
    taskQueue: 'nobody-polls',
    workflowId: 'shop/2026-12-03',
    args: [{ pipeline: 'shop', logicalDate: '2026-12-03' }],
    typedSearchAttributes: [{ key: searchAttributeKeys.logicalDate, value: '2026-12-03' }],
  });
  let found: string[] = [];
  for (let i = 0; i < 50 && found.length === 0; i++) {
    found = [];
    for await (const run of env.client.workflow.list({ query: 'MedallionLogicalDate = "2026-12-03"' }))
      found.push(run.workflowId);
    if (found.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  expect(found).toEqual(['shop/2026-12-03']);
  await env.client.workflow.getHandle('shop/2026-12-03').terminate('test over');
});

import {
  CancelFlowExecutionsCommand,
  DescribeFlowCommand,
  DescribeFlowExecutionRecordsCommand,
  type ExecutionRecord,
  ResourceNotFoundException,
  StartFlowCommand,
  ValidationException,
} from '@aws-sdk/client-appflow';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAKE, type TestEmulator, startTestEmulator, waitFor } from '../support/emulator-fixture';

let t: TestEmulator;

beforeAll(async () => {
  t = await startTestEmulator({
    appflow: {
      flows: [
        { name: 'crm-accounts', object: 'accounts', bucket: LAKE, seed: 4 },
        { name: 'crm-slow', object: 'accounts', bucket: LAKE, seed: 1, durationMs: 5_000 },
        { name: 'crm-paged', object: 'contacts', bucket: LAKE, seed: 2 },
        {
          name: 'crm-laid-out',
          object: 'accounts',
          bucket: LAKE,
          seed: 6,
          output: {
            bucketPrefix: 'appflow-out',
            pathPrefixHierarchy: ['SCHEMA_VERSION', 'EXECUTION_ID'],
            prefixType: 'FILENAME',
            prefixFormat: 'DAY',
          },
        },
      ],
    },
  });
});
afterAll(() => t.close());

const record = async (flowName: string, executionId: string) => {
  const { flowExecutions } = await t.clients.appflow.send(
    new DescribeFlowExecutionRecordsCommand({ flowName }),
  );
  return flowExecutions!.find((e) => e.executionId === executionId)!;
};
const untilStatus = (flowName: string, executionId: string, statuses: string[]) =>
  waitFor(
    () => record(flowName, executionId),
    (e: ExecutionRecord) => statuses.includes(e.executionStatus!),
  );

describe('AppFlow', () => {
  it('describes a flow: on-demand, from the SaaS object to the lake bucket', async () => {
    const flow = await t.clients.appflow.send(new DescribeFlowCommand({ flowName: 'crm-accounts' }));
    expect(flow).toMatchObject({
      flowName: 'crm-accounts',
      flowStatus: 'Active',
      flowArn: 'arn:aws:appflow:us-east-1:123456789012:flow/crm-accounts',
      triggerConfig: { triggerType: 'OnDemand' },
      sourceFlowConfig: { sourceConnectorProperties: { Salesforce: { object: 'accounts' } } },
      destinationFlowConfigList: [
        { connectorType: 'S3', destinationConnectorProperties: { S3: { bucketName: LAKE } } },
      ],
    });
    await expect(
      t.clients.appflow.send(new DescribeFlowCommand({ flowName: 'nope' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('runs an execution to Successful, writing the snapshot under bronze/saas/_appflow/<flow>/<executionId>/', async () => {
    const { executionId } = await t.clients.appflow.send(
      new StartFlowCommand({ flowName: 'crm-accounts', clientToken: 'run-1' }),
    );
    const done = await untilStatus('crm-accounts', executionId!, ['Successful', 'Error']);
    expect(done).toMatchObject({
      executionStatus: 'Successful',
      executionResult: { recordsProcessed: 3 + (4 % 5) },
    });
    expect(done.executionResult?.bytesWritten).toBeGreaterThan(0);
    const listed = await t.clients.s3.send(
      new ListObjectsV2Command({ Bucket: LAKE, Prefix: `bronze/saas/_appflow/crm-accounts/${executionId}/` }),
    );
    // AppFlow's objects carry no file-type extension: nothing downstream may assume `.parquet`.
    expect(listed.Contents?.map((c) => c.Key)).toEqual([
      `bronze/saas/_appflow/crm-accounts/${executionId}/${executionId}-0`,
    ]);
    expect(t.sources.snapshots.at(-1)).toMatchObject({ object: 'accounts', seed: 4 });
    const flow = await t.clients.appflow.send(new DescribeFlowCommand({ flowName: 'crm-accounts' }));
    expect(flow.lastRunExecutionDetails?.mostRecentExecutionStatus).toBe('Successful');
  });

  // appflow/2020-08-23 S3OutputFormatConfig / PrefixConfig: the flow's own config lays out its output.
  it("lays out an execution's objects as the flow's S3 output config says, and DescribeFlow shows it", async () => {
    const flow = await t.clients.appflow.send(new DescribeFlowCommand({ flowName: 'crm-laid-out' }));
    expect(flow.destinationFlowConfigList?.[0]?.destinationConnectorProperties?.S3).toMatchObject({
      bucketName: LAKE,
      bucketPrefix: 'appflow-out',
      s3OutputFormatConfig: {
        fileType: 'PARQUET',
        prefixConfig: {
          prefixType: 'FILENAME',
          prefixFormat: 'DAY',
          pathPrefixHierarchy: ['SCHEMA_VERSION', 'EXECUTION_ID'],
        },
        aggregationConfig: { aggregationType: 'None' },
      },
    });
    const { executionId } = await t.clients.appflow.send(
      new StartFlowCommand({ flowName: 'crm-laid-out', clientToken: 'laid-out-1' }),
    );
    const done = await untilStatus('crm-laid-out', executionId!, ['Successful', 'Error']);
    const day = done.startedAt!.toISOString().slice(0, 10);
    const listed = await t.clients.s3.send(
      new ListObjectsV2Command({ Bucket: LAKE, Prefix: 'appflow-out/' }),
    );
    expect(listed.Contents?.map((c) => c.Key)).toEqual([
      `appflow-out/crm-laid-out/1/${executionId}/${day}-${executionId}-0`,
    ]);
  });

  it('is idempotent on clientToken', async () => {
    const first = await t.clients.appflow.send(
      new StartFlowCommand({ flowName: 'crm-accounts', clientToken: 'same' }),
    );
    const second = await t.clients.appflow.send(
      new StartFlowCommand({ flowName: 'crm-accounts', clientToken: 'same' }),
    );
    expect(second.executionId).toBe(first.executionId);
    const calls = t.emulator.admin
      .startCalls({ service: 'appflow' })
      .filter((c) => c.idempotencyKey === 'same');
    expect(calls.map((c) => c.outcome)).toEqual(['started', 'replayed']);
  });

  it('pages execution records newest first with nextToken and maxResults', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      ids.push(
        (await t.clients.appflow.send(new StartFlowCommand({ flowName: 'crm-paged', clientToken: `p-${i}` })))
          .executionId!,
      );
    }
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await t.clients.appflow.send(
        new DescribeFlowExecutionRecordsCommand({ flowName: 'crm-paged', maxResults: 2, nextToken }),
      );
      seen.push(...page.flowExecutions!.map((e) => e.executionId!));
      nextToken = page.nextToken;
      pages += 1;
    } while (nextToken);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    await expect(
      t.clients.appflow.send(
        new DescribeFlowExecutionRecordsCommand({ flowName: 'crm-paged', nextToken: 'bogus' }),
      ),
    ).rejects.toBeInstanceOf(ValidationException);
  });

  it('cancels an execution (CancelStarted -> Canceled) and reports unknown or finished ids as invalid', async () => {
    const { executionId } = await t.clients.appflow.send(new StartFlowCommand({ flowName: 'crm-slow' }));
    expect((await record('crm-slow', executionId!)).executionStatus).toBe('InProgress');
    const { invalidExecutions } = await t.clients.appflow.send(
      new CancelFlowExecutionsCommand({
        flowName: 'crm-slow',
        executionIds: [executionId!, 'not-an-execution'],
      }),
    );
    expect(invalidExecutions).toEqual(['not-an-execution']);
    expect((await untilStatus('crm-slow', executionId!, ['Canceled'])).executionStatus).toBe('Canceled');
    const again = await t.clients.appflow.send(
      new CancelFlowExecutionsCommand({ flowName: 'crm-slow', executionIds: [executionId!] }),
    );
    expect(again.invalidExecutions).toEqual([executionId]);
  });

  it('reports a scripted failure as Error with errorInfo', async () => {
    await t.emulator.admin.failNextRuns({
      service: 'appflow',
      name: 'crm-accounts',
      message: 'Salesforce API limit reached',
    });
    const { executionId } = await t.clients.appflow.send(new StartFlowCommand({ flowName: 'crm-accounts' }));
    const failed = await untilStatus('crm-accounts', executionId!, ['Error', 'Successful']);
    expect(failed).toMatchObject({
      executionStatus: 'Error',
      executionResult: { errorInfo: { executionMessage: 'Salesforce API limit reached' } },
    });
  });

  it('answers ResourceNotFoundException when starting an unknown flow', async () => {
    await expect(t.clients.appflow.send(new StartFlowCommand({ flowName: 'nope' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });
});

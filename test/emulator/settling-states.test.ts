/**
 * Settling states are not ends. EMR Serverless JobRunState CANCELLING precedes CANCELLED
 * (emr-serverless/2021-07-13 service-2.json) and the Spark job keeps running while it is cancelled;
 * AppFlow ExecutionStatus CancelStarted precedes Canceled (appflow/2020-08-23). The emulator keeps a
 * run in CANCELLING / CancelStarted for as long as its work is still writing.
 */
import {
  CancelFlowExecutionsCommand,
  DescribeFlowExecutionRecordsCommand,
  StartFlowCommand,
} from '@aws-sdk/client-appflow';
import { CancelJobRunCommand, GetJobRunCommand, StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMR_MANIFEST_FLAG, type JobManifest } from '../../core/job-manifest';
import type { RunJobManifest } from '../../emulator/jobs/job-runner-api';
import type { AppFlowRequest, AppFlowResult } from '../../emulator/sources/source-api';
import { FakeSources } from '../support/fake-data-plane';
import {
  FAST_TIMING,
  LAKE,
  type TestEmulator,
  startTestEmulator,
  waitFor,
} from '../support/emulator-fixture';

const APP = '00emrsettle0001';

/** A piece of work that runs until the test lets it finish. */
class HeldWork {
  started = false;
  finished = false;
  private release: () => void = () => undefined;
  private readonly released = new Promise<void>((resolve) => (this.release = resolve));

  async hold(): Promise<void> {
    this.started = true;
    await this.released;
    this.finished = true;
  }

  finish(): void {
    this.release();
  }
}

const job = new HeldWork();
const flowWrite = new HeldWork();
const runner: RunJobManifest = async () => {
  await job.hold();
  return { rowsIn: 0, rowsOut: 0, quarantined: 0 };
};
class HeldSources extends FakeSources {
  override async writeAppFlowSnapshot(request: AppFlowRequest): Promise<AppFlowResult> {
    await flowWrite.hold();
    return super.writeAppFlowSnapshot(request);
  }
}

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator({
    s3: { buckets: [LAKE] },
    emrServerless: { applications: [{ id: APP }] },
    appflow: { flows: [{ name: 'crm-settle', object: 'accounts', bucket: LAKE, seed: 5 }] },
  });
  await t.restart({ runJobManifest: runner, sources: new HeldSources() });
});
afterAll(async () => {
  job.finish();
  flowWrite.finish();
  await t.close();
});

const manifest: JobManifest = {
  pipeline: 'shop',
  stageId: 'gold_settle',
  logicalDate: '2024-01-02',
  inputs: [{ name: 'orders', uri: `s3://${LAKE}/silver/orders/` }],
  sql: 'SELECT 1',
  outputUri: `s3://${LAKE}/gold/settle/dt=2024-01-02/`,
  quarantineUri: `s3://${LAKE}/quarantine/gold_settle/dt=2024-01-02/`,
  metricsUri: `s3://${LAKE}/_medallion/metrics/shop/2024-01-02/gold_settle.json`,
};

describe('settling states', () => {
  it('keeps an EMR Serverless run CANCELLING while its Spark job still runs, then CANCELLED', async () => {
    const { jobRunId } = await t.clients.emr.send(
      new StartJobRunCommand({
        applicationId: APP,
        executionRoleArn: 'arn:aws:iam::123456789012:role/emr-job',
        clientToken: 'settle-1',
        jobDriver: {
          sparkSubmit: {
            entryPoint: 's3://code/sql_runner.py',
            entryPointArguments: [EMR_MANIFEST_FLAG, JSON.stringify(manifest)],
          },
        },
      }),
    );
    const state = async () =>
      (await t.clients.emr.send(new GetJobRunCommand({ applicationId: APP, jobRunId }))).jobRun!.state!;
    await waitFor(state, (s) => s === 'RUNNING');
    await waitFor(
      () => Promise.resolve(job.started),
      (started) => started,
    );
    await t.clients.emr.send(new CancelJobRunCommand({ applicationId: APP, jobRunId }));
    await new Promise((resolve) => setTimeout(resolve, FAST_TIMING.transitionMs * 10));
    expect(await state()).toBe('CANCELLING');
    job.finish();
    expect(await waitFor(state, (s) => s !== 'CANCELLING')).toBe('CANCELLED');
    expect(job.finished).toBe(true);
  });

  it('keeps an AppFlow execution CancelStarted while it is still writing, then Canceled', async () => {
    const { executionId } = await t.clients.appflow.send(
      new StartFlowCommand({ flowName: 'crm-settle', clientToken: 'settle-flow-1' }),
    );
    await waitFor(
      () => Promise.resolve(flowWrite.started),
      (started) => started,
    );
    await t.clients.appflow.send(
      new CancelFlowExecutionsCommand({ flowName: 'crm-settle', executionIds: [executionId!] }),
    );
    const status = async () =>
      (
        await t.clients.appflow.send(new DescribeFlowExecutionRecordsCommand({ flowName: 'crm-settle' }))
      ).flowExecutions!.find((e) => e.executionId === executionId)!.executionStatus!;
    await new Promise((resolve) => setTimeout(resolve, FAST_TIMING.transitionMs * 10));
    expect(await status()).toBe('CancelStarted');
    flowWrite.finish();
    expect(await waitFor(status, (s) => s !== 'CancelStarted')).toBe('Canceled');
  });
});

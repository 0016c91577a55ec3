/**
 * Alerts at the end of a daily run, on the time-skipping server: the real alert activity (its
 * decisions and its log, here in memory) with SNS mocked, and the stage activities mocked.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAlertActivities } from '../../activities/alerts';
import type { PipelineActivities } from '../../core/activity-contracts';
import type { CheckOutcome } from '../../core/check-outcome';
import type { GlueStageInput, StageResult } from '../../core/stage-io';
import { dailyPipeline } from '../../workflows';
import { MemoryAlertLog } from '../support/memory-alert-log';
import { mockActivities, succeeded } from '../support/mock-activities';
import { glueOnlyPlan } from '../support/plans';
import { timeSkippingEnv } from '../../local/temporal-servers';
import { productionWorkflowBundle } from '../../local/workflow-bundle-cache';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:medallion-alerts';
const sns = new SNSClient({ region: 'eu-west-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
const snsMock = mockClient(sns);

let env: TestWorkflowEnvironment;
let counter = 0;

beforeAll(async () => {
  env = await timeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
});

const published = () => snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);

/** The stage activities of `plan` with the real alert activity over `log`. */
function activitiesWith(
  log: MemoryAlertLog,
  glue: (input: GlueStageInput) => Promise<StageResult>,
  stages = [
    { id: 'silver', jobRetries: 2 },
    { id: 'gold', dependsOn: ['silver'] },
  ],
): PipelineActivities {
  const plan = glueOnlyPlan(stages, { logicalDate: '2026-12-06' });
  const { settleAlerts } = createAlertActivities({
    sns,
    log,
    settings: { topicArn: TOPIC, environment: 'test', temporalUiUrl: 'http://127.0.0.1:8233' },
  });
  return { ...mockActivities(plan, glue), settleAlerts };
}

/** Runs one daily run of 2026-12-06 to its end; resolves to its status ('failed' for PipelineFailed). */
async function runDay(activities: PipelineActivities, input: object = {}): Promise<string> {
  const taskQueue = `alerts-${++counter}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await productionWorkflowBundle(),
    activities,
  });
  return worker.runUntil(
    env.client.workflow
      .execute(dailyPipeline, {
        args: [{ pipeline: 'test', logicalDate: '2026-12-06', ...input }],
        taskQueue,
        workflowId: `alerts-${counter}`,
      })
      .then(
        (report) => report.status,
        (error: unknown) => {
          if (error instanceof WorkflowFailedError && error.cause instanceof ApplicationFailure)
            return error.cause.type === 'PipelineFailed' ? 'failed' : `failure ${error.cause.type}`;
          throw error;
        },
      ),
  );
}

const jobFailed = () =>
  Promise.reject(
    ApplicationFailure.nonRetryable('Glue run jr_1 ended FAILED: bad SQL', 'AwsJobFailed', {
      service: 'Glue',
      message: 'bad SQL',
      consoleUrl: 'https://console/glue/jr_1',
    }),
  );

describe('alerts of a daily run', () => {
  it('a failed run alerts once, through job retries, activity retries and a second failing run', async () => {
    const log = new MemoryAlertLog();
    let calls = 0;
    const failing = activitiesWith(log, (input) => {
      if (input.identity.stageId !== 'silver') return Promise.resolve(succeeded(input.identity.stageId));
      calls++;
      // Odd calls: a transient error the activity retry policy takes; even calls: the job FAILED.
      if (calls % 2 === 1) return Promise.reject(ApplicationFailure.retryable('throttled', 'AwsThrottled'));
      return jobFailed();
    });
    expect(await runDay(failing)).toBe('failed');
    expect(calls).toBe(6); // three job attempts (jobRetries 2), each after one activity retry
    expect(published()).toHaveLength(1);
    const [alert] = published();
    expect(alert!.Subject).toBe('medallion test 2026-12-06: silver failed (AwsJobFailed)');
    expect(alert!.Message).toContain('AWS console: https://console/glue/jr_1');
    expect(alert!.Message).toMatch(
      /Temporal UI: http:\/\/127\.0\.0\.1:8233\/namespaces\/default\/workflows\/alerts-\d+\//,
    );

    // The same failure in another run of the date (a rerun): not alerted again.
    expect(await runDay(failing, { rerun: true })).toBe('failed');
    expect(published()).toHaveLength(1);

    // Fixed: the rerun succeeds and says so, once.
    const fixed = activitiesWith(log, (input) => Promise.resolve(succeeded(input.identity.stageId)));
    expect(await runDay(fixed, { rerun: true })).toBe('succeeded');
    expect(published()).toHaveLength(2);
    expect(published()[1]!.Subject).toBe('medallion test 2026-12-06: silver recovered (was AwsJobFailed)');
    expect(await runDay(fixed, { rerun: true })).toBe('succeeded');
    expect(published()).toHaveLength(2);
  });

  it('a publish that keeps failing does not fail or hold the run: it ends as it would have', async () => {
    snsMock.on(PublishCommand).rejects(Object.assign(new Error('SNS is down'), { name: 'InternalError' }));
    const log = new MemoryAlertLog();
    const failing = activitiesWith(
      log,
      (input) =>
        input.identity.stageId === 'silver'
          ? jobFailed()
          : Promise.resolve(succeeded(input.identity.stageId)),
      [{ id: 'silver', jobRetries: 0 }],
    );
    // The run fails for its stage, not for the alert, after the alert activity's bounded retries.
    expect(await runDay(failing)).toBe('failed');
    expect(published()).toHaveLength(5);
    expect(log.alerts.size).toBe(0);

    // Next time SNS answers: the failure was never alerted, so it is now.
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
    expect(await runDay(failing, { rerun: true })).toBe('failed');
    expect(published()).toHaveLength(1);

    // A succeeding run whose recovery cannot be published still succeeds.
    snsMock.on(PublishCommand).rejects(Object.assign(new Error('SNS is down'), { name: 'InternalError' }));
    const fixed = activitiesWith(log, (input) => Promise.resolve(succeeded(input.identity.stageId)), [
      { id: 'silver', jobRetries: 0 },
    ]);
    expect(await runDay(fixed, { rerun: true })).toBe('succeeded');
    expect(log.alerts.size).toBe(1);
  });

  it("a backfill's run leaves its failure to the backfill's alert, and still sends its recovery", async () => {
    const log = new MemoryAlertLog();
    const failing = activitiesWith(
      log,
      (input) =>
        input.identity.stageId === 'silver'
          ? jobFailed()
          : Promise.resolve(succeeded(input.identity.stageId)),
      [{ id: 'silver', jobRetries: 0 }],
    );
    expect(await runDay(failing)).toBe('failed');
    expect(published()).toHaveLength(1);
    expect(await runDay(failing, { rerun: true, backfillLanes: [] })).toBe('failed');
    expect(published()).toHaveLength(1);
    const fixed = activitiesWith(log, (input) => Promise.resolve(succeeded(input.identity.stageId)), [
      { id: 'silver', jobRetries: 0 },
    ]);
    expect(await runDay(fixed, { rerun: true, backfillLanes: [] })).toBe('succeeded');
    expect(published().map((m) => m.MessageAttributes?.event?.StringValue)).toEqual(['alert', 'recovered']);
  });

  it('a warn check that did not pass is alerted once, the run goes on, and a passing rerun recovers it', async () => {
    const log = new MemoryAlertLog();
    const withChecks = (passed: boolean) => (input: GlueStageInput) => {
      const id = input.identity.stageId;
      if (id !== 'gold') return Promise.resolve(succeeded(id));
      const outcome: CheckOutcome = {
        check: 'orders_vs_7d_median',
        stageId: id,
        severity: 'warn',
        passed,
        measured: passed ? 980 : 120,
        bound: '>= 50% of the 7-day median (500)',
        message: `orders_vs_7d_median: ${passed ? 980 : 120} rows, bound >= 500`,
      };
      // The stage's result carries its checks onto its report entry (StageReport.checks).
      return Promise.resolve({ ...succeeded(id), checks: [outcome] } as StageResult);
    };
    expect(await runDay(activitiesWith(log, withChecks(false)))).toBe('succeeded');
    expect(await runDay(activitiesWith(log, withChecks(false)), { rerun: true })).toBe('succeeded');
    expect(published()).toHaveLength(1);
    expect(published()[0]!.Subject).toBe(
      'medallion test 2026-12-06: gold quality warning (orders_vs_7d_median)',
    );
    expect(published()[0]!.Message).toContain('orders_vs_7d_median: 120 rows, bound >= 500');
    // In a backfill the warning is still there: not recovered, and not alerted again.
    expect(await runDay(activitiesWith(log, withChecks(false)), { rerun: true, backfillLanes: [] })).toBe(
      'succeeded',
    );
    expect(published()).toHaveLength(1);
    expect(await runDay(activitiesWith(log, withChecks(true)), { rerun: true })).toBe('succeeded');
    expect(published()).toHaveLength(2);
    expect(published()[1]!.Subject).toBe(
      'medallion test 2026-12-06: gold recovered (was orders_vs_7d_median)',
    );
  });

  it('a planning failure that is not the input is alerted with stage "plan"', async () => {
    const log = new MemoryAlertLog();
    const activities = activitiesWith(log, () => Promise.reject(new Error('must not run')));
    activities.planDailyRun = () =>
      Promise.reject(
        ApplicationFailure.nonRetryable('S3 lake: GetObject failed with AccessDenied', 'AwsAccessDenied'),
      );
    expect(await runDay(activities)).toBe('failure AwsAccessDenied');
    expect(published()).toHaveLength(1);
    expect(published()[0]!.Subject).toBe('medallion test 2026-12-06: plan failed (AwsAccessDenied)');
  });
});

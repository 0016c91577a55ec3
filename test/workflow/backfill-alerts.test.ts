/**
 * A backfill's alert, on the time-skipping server: the real backfill, planning and alert activities
 * (alert log in memory, SNS mocked), the stage activities mocked. A backfill that ends with failed
 * dates publishes ONE message listing them; its dates' runs publish none; a later backfill of the same
 * range that gets them done publishes one "recovered" message. A `warn` check that trips in a date's run
 * reaches the operator the same way: listed in the backfill's one message.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAlertActivities } from '../../activities/alerts';
import type { SettleAlertsRequest } from '../../core/alerts';
import type { BackfillInput } from '../../core/backfill-contracts';
import type { CheckOutcome } from '../../core/check-outcome';
import type { StageInput, StageResult } from '../../core/stage-io';
import { backfill } from '../../workflows/backfill';
import { timeSkippingEnv } from '../../local/temporal-servers';
import { productionWorkflowBundle } from '../../local/workflow-bundle-cache';
import { backfillTestActivities, pause, StageLog } from '../support/backfill-harness';
import { MemoryAlertLog } from '../support/memory-alert-log';
import { MemoryRunState } from '../support/memory-run-state';

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

const published = () => snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
const eventOf = (message: ReturnType<typeof published>[number]) =>
  message.MessageAttributes?.event?.StringValue;

/** Runs a backfill to its end with the real alert activity over `alerts`; resolves to its outcome. */
async function runBackfill(
  input: BackfillInput,
  store: MemoryRunState,
  alerts: MemoryAlertLog,
  requests: SettleAlertsRequest[],
  behaviour: (input: StageInput) => Promise<void>,
  checksOf: (input: StageInput) => CheckOutcome[] = () => [],
): Promise<string> {
  const { settleAlerts } = createAlertActivities({
    sns,
    log: alerts,
    settings: { topicArn: TOPIC, environment: 'test', temporalUiUrl: 'http://127.0.0.1:8233' },
  });
  const taskQueue = `backfill-alerts-${++counter}`;
  const harness = backfillTestActivities(store, new StageLog(), { behaviour });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await productionWorkflowBundle(),
    activities: {
      ...harness,
      // The Glue stages report the check outcomes `checksOf` gives them.
      runGlueStage: async (input: Parameters<typeof harness.runGlueStage>[0]): Promise<StageResult> => {
        const result = await harness.runGlueStage(input);
        const checks = checksOf(input);
        return checks.length > 0 ? { ...result, checks } : result;
      },
      settleAlerts: (request: SettleAlertsRequest) => {
        requests.push(request);
        return settleAlerts(request);
      },
    },
  });
  return worker.runUntil(
    env.client.workflow
      .execute(backfill, {
        args: [input],
        taskQueue,
        workflowId: `backfill-alerts-${counter}`,
      })
      .then(
        (progress) => progress.status,
        (error: unknown) => {
          const cause = (error as { cause?: unknown }).cause;
          if (cause instanceof ApplicationFailure && cause.type === 'BackfillFailed') return 'failed';
          throw error;
        },
      ),
  );
}

it('a backfill with failed dates alerts ONCE at its end, listing them; its runs do not; the next backfill recovers them', async () => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  const range: BackfillInput = { pipeline: 'shop', from: '2025-10-01', to: '2025-10-04', maxConcurrent: 2 };
  const badDates = ['2025-10-02', '2025-10-04'];
  let broken = true;
  const behaviour = async (input: StageInput) => {
    await pause(5);
    const { stageId, logicalDate } = input.identity;
    if (broken && stageId === 'fact_orders' && badDates.includes(logicalDate)) {
      throw ApplicationFailure.nonRetryable(`Glue fact_orders of ${logicalDate}: bad SQL`, 'AwsJobFailed');
    }
  };
  const store = new MemoryRunState();
  const alerts = new MemoryAlertLog();
  const requests: SettleAlertsRequest[] = [];

  expect(await runBackfill(range, store, alerts, requests, behaviour)).toBe('failed');
  const first = published();
  expect(first).toHaveLength(1);
  expect(eventOf(first[0]!)).toBe('alert');
  expect(first[0]!.Subject).toBe(
    'medallion shop backfill/2025-10-01..2025-10-04: 2 dates failed: 2025-10-02, 2025-10-04',
  );
  for (const date of badDates) {
    expect(first[0]!.Message).toContain(`- ${date}: date failed in backfill`);
  }
  expect(first[0]!.Message).toMatch(/message: .*fact_orders of 2025-10-02: bad SQL/);
  expect(first[0]!.Message).toContain('Temporal UI: http://127.0.0.1:8233/namespaces/');
  // Every date's run asked for recoveries only; the backfill's own request carried the failures.
  const dayRequests = requests.filter((r) => !r.scope.startsWith('backfill/'));
  expect(dayRequests.map((r) => r.scope).sort()).toEqual([
    '2025-10-01',
    '2025-10-02',
    '2025-10-03',
    '2025-10-04',
  ]);
  expect(dayRequests.every((r) => r.recoveriesOnly === true)).toBe(true);
  expect(requests.filter((r) => r.scope.startsWith('backfill/'))).toHaveLength(1);
  expect([...alerts.alerts.keys()].sort()).toEqual(
    badDates.map((d) => `shop/backfill/2025-10-01..2025-10-04/backfill-date-failed.${d}.DateFailed`),
  );

  // The same range again, still broken: the open alert is not published a second time.
  expect(await runBackfill(range, store, alerts, requests, behaviour)).toBe('failed');
  expect(published()).toHaveLength(1);

  broken = false;
  expect(await runBackfill(range, store, alerts, requests, behaviour)).toBe('succeeded');
  const all = published();
  expect(all.map(eventOf)).toEqual(['alert', 'recovered']);
  expect(all[1]!.Subject).toBe('medallion shop backfill/2025-10-01..2025-10-04: 2 problems recovered');
  expect(alerts.alerts.size).toBe(0);
});

it('a warn check that trips in a backfill reaches the operator ONCE, in the backfill message; a clean backfill recovers it', async () => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  const range: BackfillInput = { pipeline: 'shop', from: '2025-11-01', to: '2025-11-03', maxConcurrent: 2 };
  const warnedDate = '2025-11-02';
  let stalled = true;
  const stall: CheckOutcome = {
    check: 'orders_keep_flowing',
    stageId: 'silver_orders',
    severity: 'warn',
    passed: false,
    measured: 0,
    bound: ">= 1 row changed within 6h of the day's end",
    message: 'silver_orders.orders_keep_flowing (freshness, warn) warning: measured 0',
  };
  const checksOf = (input: StageInput) =>
    stalled && input.identity.stageId === 'silver_orders' && input.identity.logicalDate === warnedDate
      ? [stall]
      : [];
  const behaviour = () => pause(5);
  const store = new MemoryRunState();
  const alerts = new MemoryAlertLog();
  const requests: SettleAlertsRequest[] = [];

  expect(await runBackfill(range, store, alerts, requests, behaviour, checksOf)).toBe('succeeded');
  const first = published();
  expect(first).toHaveLength(1);
  expect(eventOf(first[0]!)).toBe('alert');
  expect(first[0]!.Subject).toBe(
    'medallion shop backfill/2025-11-01..2025-11-03: 1 date with warnings: 2025-11-02',
  );
  expect(first[0]!.Message).toContain(
    '- 2025-11-02: quality warning in backfill\n  error class: silver_orders.orders_keep_flowing\n  message: silver_orders.orders_keep_flowing (freshness, warn) warning: measured 0',
  );
  // The date's run carried the warning but, in a backfill, published nothing itself.
  const dayRequest = requests.find((r) => r.scope === warnedDate)!;
  expect(dayRequest.recoveriesOnly).toBe(true);
  expect(dayRequest.causes.map((c) => `${c.kind} ${c.stage} ${c.errorClass}`)).toEqual([
    'warn silver_orders orders_keep_flowing',
  ]);
  expect([...alerts.alerts.keys()]).toEqual([
    'shop/backfill/2025-11-01..2025-11-03/backfill-date-warning.2025-11-02.silver_orders-orders_keep_flowing',
  ]);

  // The same range again skips its done dates: no check ran again, so the warning stays open.
  expect(await runBackfill(range, store, alerts, requests, behaviour, checksOf)).toBe('succeeded');
  expect(published()).toHaveLength(1);
  expect(alerts.alerts.size).toBe(1);

  // Every date run again, still warning: the open alert is not published a second time.
  const again: BackfillInput = { ...range, only: 'all' };
  expect(await runBackfill(again, store, alerts, requests, behaviour, checksOf)).toBe('succeeded');
  expect(published()).toHaveLength(1);

  stalled = false;
  expect(await runBackfill(again, store, alerts, requests, behaviour, checksOf)).toBe('succeeded');
  const all = published();
  expect(all.map(eventOf)).toEqual(['alert', 'recovered']);
  expect(all[1]!.Subject).toMatch(/^medallion shop backfill\/2025-11-01\.\.2025-11-03: 2025-11-02 recovered/);
  expect(all[1]!.Message).toContain(
    '- 2025-11-02: quality warning in backfill (silver_orders.orders_keep_flowing) alerted',
  );
  expect(alerts.alerts.size).toBe(0);
});

import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AuthorizationErrorException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3AlertLog } from '../../activities/alert-log';
import { type AlertSettings, createAlertActivities, temporalRunLink } from '../../activities/alerts';
import type { AlertCause, OpenAlert, SettleAlertsRequest } from '../../core/alerts';
import { FailureType } from '../../core/errors';
import { MemoryAlertLog } from '../support/memory-alert-log';
import { clientConfig, expectFailure, harness, jsonBody, sendOptionsOf } from '../support/activity-harness';

const sns = new SNSClient(clientConfig);
const snsMock = mockClient(sns);
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:medallion-alerts';
const settings: AlertSettings = { topicArn: TOPIC, environment: 'prod', temporalUiUrl: 'http://ui:8233/' };
const NOW = () => new Date('2026-12-07T02:00:00.000Z');

const glueFailed: AlertCause = {
  kind: 'failed',
  stage: 'silver_orders',
  errorClass: 'AwsJobFailed',
  message: 'Glue medallion-sql-runner run jr_1 ended FAILED: bad SQL',
  consoleUrl: 'https://eu-west-1.console.aws.amazon.com/gluestudio/home?region=eu-west-1#/job/x/run/jr_1',
};

function request(overrides: Partial<SettleAlertsRequest> = {}): SettleAlertsRequest {
  return { pipeline: 'shop', scope: '2026-12-06', causes: [glueFailed], healthy: ['plan'], ...overrides };
}

function run(log: MemoryAlertLog, req: SettleAlertsRequest, topic = settings, activityId = 'alerts-1') {
  const { settleAlerts } = createAlertActivities({ sns, log, settings: topic, now: NOW });
  return harness({
    activityId,
    workflowNamespace: 'default',
    workflowExecution: { workflowId: 'shop/2026-12-06', runId: 'run-1' },
  }).run(settleAlerts, req);
}

const published = () => snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('settleAlerts', () => {
  it('publishes a new failure once: pipeline, date, stage, class, message, AWS console and Temporal UI links', async () => {
    const log = new MemoryAlertLog();
    expect(await run(log, request())).toEqual({
      alerted: ['failed.silver_orders.AwsJobFailed'],
      recovered: [],
      alreadyOpen: [],
    });
    const [message] = published();
    expect(message).toMatchObject({
      TopicArn: TOPIC,
      Subject: 'medallion shop 2026-12-06: silver_orders failed (AwsJobFailed)',
    });
    expect(message!.Message).toContain('medallion shop 2026-12-06 in prod');
    expect(message!.Message).toContain('error class: AwsJobFailed');
    expect(message!.Message).toContain('bad SQL');
    expect(message!.Message).toContain(`AWS console: ${glueFailed.consoleUrl}`);
    expect(message!.Message).toContain(
      'Temporal UI: http://ui:8233/namespaces/default/workflows/shop%2F2026-12-06/run-1/history',
    );
    expect(message!.MessageAttributes?.stage).toEqual({ DataType: 'String', StringValue: 'silver_orders' });
    expect(message!.MessageAttributes?.event).toEqual({ DataType: 'String', StringValue: 'alert' });
    // A standard topic takes no FIFO parameters (SNS rejects them there).
    expect(message!.MessageDeduplicationId).toBeUndefined();
    expect([...log.alerts.values()][0]).toMatchObject({
      id: 'failed.silver_orders.AwsJobFailed',
      messageId: 'm-1',
      runId: 'run-1',
      publishedAt: '2026-12-07T02:00:00.000Z',
    });

    // The same failure seen again (a retry of the run, a reset, a rerun): nothing is published.
    expect(await run(log, request(), settings, 'alerts-2')).toEqual({
      alerted: [],
      recovered: [],
      alreadyOpen: ['failed.silver_orders.AwsJobFailed'],
    });
    expect(published()).toHaveLength(1);
  });

  it('sends "recovered" once the stage ran to success, and forgets the alert', async () => {
    const log = new MemoryAlertLog();
    await run(log, request());
    // The stage is still failing (not healthy): the alert stays open, nothing is sent.
    await run(log, request({ causes: [] }));
    expect(published()).toHaveLength(1);

    expect(await run(log, request({ causes: [], healthy: ['plan', 'silver_orders'] }))).toEqual({
      alerted: [],
      recovered: ['failed.silver_orders.AwsJobFailed'],
      alreadyOpen: [],
    });
    const recovered = published()[1]!;
    expect(recovered.Subject).toBe('medallion shop 2026-12-06: silver_orders recovered (was AwsJobFailed)');
    expect(recovered.MessageAttributes?.event?.StringValue).toBe('recovered');
    expect(log.alerts.size).toBe(0);
    // Healthy again: nothing more to say.
    await run(log, request({ causes: [], healthy: ['plan', 'silver_orders'] }));
    expect(published()).toHaveLength(2);
  });

  it('a new error class of the same stage is a new cause; several new causes are one message', async () => {
    const log = new MemoryAlertLog();
    await run(log, request());
    const timeout: AlertCause = {
      kind: 'failed',
      stage: 'silver_orders',
      errorClass: 'Timeout',
      message: 'timed out',
    };
    const warn: AlertCause = {
      kind: 'warn',
      stage: 'gold',
      errorClass: 'orders_min_rows',
      message: '12 < 500',
    };
    const result = await run(log, request({ causes: [glueFailed, timeout, warn] }));
    expect(result.alerted).toEqual(['failed.silver_orders.Timeout', 'warn.gold.orders_min_rows']);
    expect(published()).toHaveLength(2);
    expect(published()[1]!.Subject).toBe(
      'medallion shop 2026-12-06: 2 problems, first silver_orders failed (Timeout)',
    );
    expect(published()[1]!.Message).toContain('quality warning');
  });

  it('on a FIFO topic, a retry of the same activity publishes with the same deduplication id', async () => {
    const log = new MemoryAlertLog();
    log.failRecords = 1;
    const fifo = { ...settings, topicArn: `${TOPIC}.fifo` };
    // Published, then the record failed: the activity fails and is retried by Temporal.
    await expect(run(log, request(), fifo)).rejects.toThrow('S3 unavailable');
    await run(log, request(), fifo);
    const [first, second] = published();
    expect(first!.MessageGroupId).toBe('shop/2026-12-06');
    expect(first!.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(second!.MessageDeduplicationId).toBe(first!.MessageDeduplicationId);
    // Another run (a rerun) would publish a different id: only the S3 log stops it, and it does.
    await run(log, request(), fifo, 'alerts-9');
    expect(published()).toHaveLength(2);
  });

  it('passes the cancellation signal, and classifies SNS errors (AuthorizationError: not retryable)', async () => {
    snsMock
      .on(PublishCommand)
      .rejects(new AuthorizationErrorException({ message: 'not authorized to publish', $metadata: {} }));
    const log = new MemoryAlertLog();
    await expectFailure(run(log, request()), {
      type: FailureType.AwsAccessDenied,
      nonRetryable: true,
      messageIncludes: [`SNS ${TOPIC}: Publish failed with AuthorizationError`],
    });
    expect(log.alerts.size).toBe(0);
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-2' });
    const h = harness({ workflowExecution: { workflowId: 'w', runId: 'r' } });
    await h.run(createAlertActivities({ sns, log, settings }).settleAlerts, request());
    expect(sendOptionsOf(snsMock.commandCalls(PublishCommand)[0]!)?.abortSignal).toBe(
      h.env.context.cancellationSignal,
    );
  });

  it('with no topic configured it sends and records nothing', async () => {
    const log = new MemoryAlertLog();
    const { settleAlerts } = createAlertActivities({ sns, log });
    expect(await harness().run(settleAlerts, request())).toEqual({
      alerted: [],
      recovered: [],
      alreadyOpen: [],
    });
    expect(published()).toHaveLength(0);
    expect(log.alerts.size).toBe(0);
  });

  it('builds Temporal UI links with the workflow id escaped', () => {
    expect(temporalRunLink('https://t.example.com/', 'prod ns', 'shop/backfill/a..b', 'r1')).toBe(
      'https://t.example.com/namespaces/prod%20ns/workflows/shop%2Fbackfill%2Fa..b/r1/history',
    );
  });
});

describe('S3AlertLog', () => {
  const s3 = new S3Client(clientConfig);
  const s3Mock = mockClient(s3);
  const alert: OpenAlert = {
    id: 'failed.silver_orders.AwsJobFailed',
    cause: glueFailed,
    publishedAt: '2026-12-07T02:00:00.000Z',
    workflowId: 'shop/2026-12-06',
    runId: 'run-1',
  };

  beforeEach(() => s3Mock.reset());

  it('keeps one object per cause under _medallion/alerts/<pipeline>/<scope>/', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    s3Mock.on(DeleteObjectCommand).resolves({});
    s3Mock.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: '_medallion/alerts/shop/2026-12-06/failed.silver_orders.AwsJobFailed.json' },
        { Key: '_medallion/alerts/shop/2026-12-06/gone.json' },
      ],
    });
    s3Mock
      .on(GetObjectCommand, {
        Key: '_medallion/alerts/shop/2026-12-06/failed.silver_orders.AwsJobFailed.json',
      })
      .resolves(jsonBody(alert));
    s3Mock
      .on(GetObjectCommand, { Key: '_medallion/alerts/shop/2026-12-06/gone.json' })
      .rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    const log = new S3AlertLog(s3, 'lake');

    await harness().run(() => log.record('shop', '2026-12-06', alert));
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      Bucket: 'lake',
      Key: '_medallion/alerts/shop/2026-12-06/failed.silver_orders.AwsJobFailed.json',
    });
    // A cause cleared between listing and reading is not open.
    expect(await harness().run(() => log.open('shop', '2026-12-06'))).toEqual([alert]);
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toMatchObject({
      Bucket: 'lake',
      Prefix: '_medallion/alerts/shop/2026-12-06/',
    });
    await harness().run(() => log.clear('shop', '2026-12-06', alert.id));
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'lake',
      Key: '_medallion/alerts/shop/2026-12-06/failed.silver_orders.AwsJobFailed.json',
    });
  });
});

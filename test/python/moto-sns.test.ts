/**
 * The alert activity against moto's SNS and S3: the real SNS client (awsQuery) publishes, the real
 * S3 alert log keeps what was alerted in the lake bucket, so a second run with the same failure
 * publishes nothing and a healthy run recovers it; a topic that does not exist is AwsNotFound.
 */
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3AlertLog } from '../../activities/alert-log';
import { createAlertActivities } from '../../activities/alerts';
import type { SettleAlertsRequest } from '../../core/alerts';
import { FailureType } from '../../core/errors';
import { expectFailure, harness } from '../support/activity-harness';
import { MOTO_LAKE, type MotoServer, motoAvailable, startMoto } from '../support/python/moto-server';

const request: SettleAlertsRequest = {
  pipeline: 'shop',
  scope: '2026-12-06',
  causes: [{ kind: 'failed', stage: 'silver_orders', errorClass: 'AwsJobFailed', message: 'bad SQL' }],
  healthy: ['plan'],
};

describe.runIf(motoAvailable())('alerts on moto (SNS Publish, S3 alert log)', () => {
  let moto: MotoServer;
  let topicArn: string;

  beforeAll(async () => {
    moto = await startMoto();
    topicArn = (await moto.clients.sns.send(new CreateTopicCommand({ Name: 'medallion-alerts' }))).TopicArn!;
  });
  afterAll(() => moto?.stop());

  const settle = (req: SettleAlertsRequest, arn = topicArn) =>
    harness({ workflowExecution: { workflowId: 'shop/2026-12-06', runId: 'r1' } }).run(
      createAlertActivities({
        sns: moto.clients.sns,
        log: new S3AlertLog(moto.clients.s3, MOTO_LAKE),
        settings: { topicArn: arn, environment: 'moto' },
      }).settleAlerts,
      req,
    );

  it('publishes a failure once, keeps it in the lake bucket, and publishes its recovery', async () => {
    expect(await settle(request)).toMatchObject({ alerted: ['failed.silver_orders.AwsJobFailed'] });
    const open = await harness().run(() =>
      new S3AlertLog(moto.clients.s3, MOTO_LAKE).open('shop', '2026-12-06'),
    );
    expect(open).toHaveLength(1);
    // moto answers a MessageId (a UUID) as SNS does; the log keeps it.
    expect(open[0]!.messageId).toMatch(/^[0-9a-f-]{36}$/);

    expect(await settle(request)).toEqual({
      alerted: [],
      recovered: [],
      alreadyOpen: ['failed.silver_orders.AwsJobFailed'],
    });
    expect(await settle({ ...request, causes: [], healthy: ['plan', 'silver_orders'] })).toMatchObject({
      recovered: ['failed.silver_orders.AwsJobFailed'],
    });
    expect(
      await harness().run(() => new S3AlertLog(moto.clients.s3, MOTO_LAKE).open('shop', '2026-12-06')),
    ).toEqual([]);
  });

  it('a topic that does not exist is AwsNotFound, and nothing is recorded', async () => {
    await expectFailure(settle({ ...request, scope: '2026-12-05' }, `${topicArn}-gone`), {
      type: FailureType.AwsNotFound,
      nonRetryable: true,
      messageIncludes: ['Publish failed with NotFound'],
    });
    expect(
      await harness().run(() => new S3AlertLog(moto.clients.s3, MOTO_LAKE).open('shop', '2026-12-05')),
    ).toEqual([]);
  });
});

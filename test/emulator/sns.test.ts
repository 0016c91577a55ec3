/**
 * The emulator's SNS against @aws-sdk/client-sns (awsQuery): what the SDK sends is parsed, what it
 * reads back is well-formed, errors arrive as the SDK's exception classes.
 */
import {
  CreateTopicCommand,
  InvalidParameterException,
  ListTopicsCommand,
  NotFoundException,
  PublishCommand,
} from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestEmulator, startTestEmulator } from '../support/emulator-fixture';

let t: TestEmulator;
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:medallion-alerts';

beforeAll(async () => {
  t = await startTestEmulator({ sns: { topics: [{ name: 'medallion-alerts' }] } });
});
afterAll(() => t.close());

const publish = (input: Partial<ConstructorParameters<typeof PublishCommand>[0]>) =>
  t.clients.sns.send(new PublishCommand({ TopicArn: TOPIC, Message: 'hello', ...input }));

async function adminMessages(
  topic?: string,
): Promise<{ messageId: string; subject?: string; message: string }[]> {
  const query = topic ? `?topic=${encodeURIComponent(topic)}` : '';
  const response = await fetch(`${t.emulator.endpoint}/_emulator/sns/messages${query}`);
  return (await response.json()) as never;
}

describe('SNS topics', () => {
  it('lists the configured topic; CreateTopic adds one and is idempotent by name', async () => {
    const created = await t.clients.sns.send(new CreateTopicCommand({ Name: 'other' }));
    expect(created.TopicArn).toBe('arn:aws:sns:us-east-1:123456789012:other');
    const again = await t.clients.sns.send(new CreateTopicCommand({ Name: 'other' }));
    expect(again.TopicArn).toBe(created.TopicArn);
    const { Topics } = await t.clients.sns.send(new ListTopicsCommand({}));
    expect(Topics?.map((x) => x.TopicArn)).toEqual([TOPIC, created.TopicArn]);
  });

  it('refuses a .fifo name without FifoTopic, as SNS does', async () => {
    await expect(t.clients.sns.send(new CreateTopicCommand({ Name: 'x.fifo' }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
  });
});

describe('SNS Publish', () => {
  it('keeps the message, subject and attributes; answers a MessageId', async () => {
    const { MessageId } = await publish({
      Subject: 'medallion shop 2026-12-06: silver_orders failed (AwsJobFailed)',
      Message: 'line one\nline <two> & "three"',
      MessageAttributes: {
        stage: { DataType: 'String', StringValue: 'silver_orders' },
        event: { DataType: 'String', StringValue: 'alert' },
      },
    });
    expect(MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const kept = t.emulator.sns.messages(TOPIC).find((m) => m.messageId === MessageId);
    expect(kept).toMatchObject({
      subject: 'medallion shop 2026-12-06: silver_orders failed (AwsJobFailed)',
      message: 'line one\nline <two> & "three"',
      attributes: {
        stage: { dataType: 'String', value: 'silver_orders' },
        event: { dataType: 'String', value: 'alert' },
      },
    });
    expect((await adminMessages(TOPIC)).map((m) => m.messageId)).toContain(MessageId);
  });

  it('a topic that does not exist is NotFound; a bad Subject or no Message is InvalidParameter', async () => {
    await expect(publish({ TopicArn: `${TOPIC}-gone` })).rejects.toBeInstanceOf(NotFoundException);
    await expect(publish({ Subject: 'two\nlines' })).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(publish({ Subject: 'x'.repeat(101) })).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(publish({ Message: '' })).rejects.toThrow(/Message/);
    // A standard topic takes no deduplication id.
    await expect(publish({ MessageDeduplicationId: 'd1' })).rejects.toThrow(/MessageDeduplicationId/);
  });

  it('a FIFO topic needs a group and a deduplication id, and drops a repeated id', async () => {
    const { TopicArn } = await t.clients.sns.send(
      new CreateTopicCommand({ Name: 'alerts.fifo', Attributes: { FifoTopic: 'true' } }),
    );
    await expect(publish({ TopicArn })).rejects.toThrow(/MessageGroupId/);
    await expect(publish({ TopicArn, MessageGroupId: 'shop' })).rejects.toThrow(/MessageDeduplicationId/);
    const first = await publish({ TopicArn, MessageGroupId: 'shop', MessageDeduplicationId: 'd1' });
    const repeat = await publish({ TopicArn, MessageGroupId: 'shop', MessageDeduplicationId: 'd1' });
    expect(first.SequenceNumber).toMatch(/^\d{20}$/);
    expect(repeat.MessageId).toBe(first.MessageId);
    expect(t.emulator.sns.messages(TopicArn)).toHaveLength(1);
  });

  it('keeps published messages across a restart', async () => {
    const before = t.emulator.sns.messages(TOPIC).length;
    expect(before).toBeGreaterThan(0);
    await t.restart();
    expect(t.emulator.sns.messages(TOPIC)).toHaveLength(before);
  });
});

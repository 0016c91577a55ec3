/**
 * Amazon SNS (awsQuery, sns/2010-03-31): topics, and Publish, which keeps every message it accepts
 * (the emulator has no subscribers to deliver to) so local mode can show them (`medallion alerts`,
 * `GET /_emulator/sns/messages`). Validation follows the Publish API reference: Message required and
 * at most 256 KiB, Subject at most 100 printable ASCII characters without line breaks, FIFO topics
 * need MessageGroupId and a MessageDeduplicationId (or content-based deduplication) and drop a
 * repeated deduplication id for 5 minutes.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { snsTopicArn } from '../../emulator-config';
import { AwsError } from '../../http/aws-error';
import { mapEntries, type QueryParameters, queryHandler } from '../../http/query-protocol';
import { AppendLog } from '../../runtime/append-log';
import { uuid } from '../../runtime/ids';
import type { EmulatedService, ServiceContext } from '../service-context';

interface SnsTopic {
  arn: string;
  name: string;
  fifo: boolean;
  contentBasedDeduplication: boolean;
}

interface PublishedMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, { dataType: string; value: string }>;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  sequenceNumber?: string;
  publishedAt: string;
}

/** SNS: "the total size limit for a single SMS Publish action is 256 KiB" (message plus attributes). */
const MAX_MESSAGE_BYTES = 256 * 1024;
/** FIFO topics drop a message whose deduplication id was published in the last 5 minutes. */
const DEDUPLICATION_INTERVAL_MS = 5 * 60_000;
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;

export async function createSnsService(ctx: ServiceContext): Promise<EmulatedService & { sns: SnsMessages }> {
  const topics = await ctx.openState<{ created: SnsTopic[] }>('sns-topics', () => ({ created: [] }));
  const log = await AppendLog.open<PublishedMessage>(join(ctx.dataDir, 'state', 'sns-messages.jsonl'));
  const arnOf = (name: string) => snsTopicArn(ctx.config, name);
  const configured: SnsTopic[] = ctx.config.sns.topics.map((t) => ({
    arn: arnOf(t.name),
    name: t.name,
    fifo: t.name.endsWith('.fifo'),
    contentBasedDeduplication: t.contentBasedDeduplication,
  }));
  const allTopics = () => [...configured, ...topics.data.created];
  const topicByArn = (arn: string) => allTopics().find((t) => t.arn === arn);
  let sequence = log.entries.filter((m) => m.sequenceNumber).length;

  const operations = {
    CreateTopic: async (p: QueryParameters) => {
      const name = required(p, 'Name');
      const attributes = new Map(
        mapEntries(p, 'Attributes').map((e) => [e.get('key') ?? '', e.get('value') ?? '']),
      );
      const fifo = attributes.get('FifoTopic') === 'true';
      const base = fifo ? name.replace(/\.fifo$/, '') : name;
      if (!TOPIC_NAME.test(base) || fifo !== name.endsWith('.fifo')) {
        throw new AwsError(
          'InvalidParameter',
          fifo
            ? 'Invalid parameter: Topic Name: a FIFO topic name ends in .fifo, before it 1-256 letters, digits, - or _'
            : 'Invalid parameter: Topic Name: use 1-256 letters, digits, - or _ (a name ending in .fifo needs FifoTopic=true)',
        );
      }
      // CreateTopic is idempotent: the same name answers the existing topic's ARN.
      const existing = allTopics().find((t) => t.name === name);
      if (existing) return { TopicArn: existing.arn };
      const topic: SnsTopic = {
        arn: arnOf(name),
        name,
        fifo,
        contentBasedDeduplication: attributes.get('ContentBasedDeduplication') === 'true',
      };
      topics.data.created.push(topic);
      await topics.save();
      return { TopicArn: topic.arn };
    },
    ListTopics: () => ({ Topics: { member: allTopics().map((t) => ({ TopicArn: t.arn })) } }),
    Publish: async (p: QueryParameters) => {
      const arn = p.get('TopicArn') ?? p.get('TargetArn');
      if (!arn)
        throw new AwsError(
          'InvalidParameter',
          'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
        );
      const topic = topicByArn(arn);
      if (!topic) throw new AwsError('NotFound', 'Topic does not exist', 404);
      const message = required(p, 'Message');
      const subject = p.get('Subject');
      if (subject !== undefined && !/^[\x21-\x7e][\x20-\x7e]{0,99}$/.test(subject)) {
        throw new AwsError(
          'InvalidParameter',
          'Invalid parameter: Subject: at most 100 printable ASCII characters, starting with a letter, digit or punctuation, no line breaks',
        );
      }
      const attributes = messageAttributes(p);
      const size =
        Buffer.byteLength(message) +
        Object.entries(attributes).reduce(
          (sum, [name, a]) =>
            sum + Buffer.byteLength(name) + Buffer.byteLength(a.dataType) + Buffer.byteLength(a.value),
          0,
        );
      if (size > MAX_MESSAGE_BYTES) {
        throw new AwsError(
          'InvalidParameter',
          `Invalid parameter: Message too long: ${size} bytes, at most ${MAX_MESSAGE_BYTES}`,
        );
      }
      const groupId = p.get('MessageGroupId');
      let dedupId = p.get('MessageDeduplicationId');
      if (topic.fifo) {
        if (!groupId)
          throw new AwsError(
            'InvalidParameter',
            'Invalid parameter: The MessageGroupId parameter is required for FIFO topics',
          );
        if (!dedupId && !topic.contentBasedDeduplication) {
          throw new AwsError(
            'InvalidParameter',
            'Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
          );
        }
        dedupId ??= createHash('sha256').update(message).digest('hex');
        const now = ctx.clock.now();
        const earlier = log.entries.find(
          (m) =>
            m.topicArn === topic.arn &&
            m.messageDeduplicationId === dedupId &&
            now - Date.parse(m.publishedAt) < DEDUPLICATION_INTERVAL_MS,
        );
        // Accepted, not delivered again.
        if (earlier) return { MessageId: earlier.messageId, SequenceNumber: earlier.sequenceNumber };
      } else if (dedupId !== undefined) {
        throw new AwsError(
          'InvalidParameter',
          'Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type',
        );
      }
      const published: PublishedMessage = {
        messageId: uuid(),
        topicArn: topic.arn,
        ...(subject !== undefined ? { subject } : {}),
        message,
        attributes,
        ...(groupId ? { messageGroupId: groupId } : {}),
        ...(topic.fifo
          ? { messageDeduplicationId: dedupId!, sequenceNumber: String(++sequence).padStart(20, '0') }
          : {}),
        publishedAt: new Date(ctx.clock.now()).toISOString(),
      };
      await log.append(published);
      return {
        MessageId: published.messageId,
        ...(published.sequenceNumber ? { SequenceNumber: published.sequenceNumber } : {}),
      };
    },
  };

  const sns: SnsMessages = {
    messages: (topicArn?: string) =>
      log.entries.filter((m) => topicArn === undefined || m.topicArn === topicArn),
  };
  return {
    signingName: 'sns',
    handler: queryHandler(
      {
        service: 'sns',
        version: '2010-03-31',
        xmlNamespace: 'http://sns.amazonaws.com/doc/2010-03-31/',
        operations,
      },
      ctx.gate,
    ),
    resume: () => undefined,
    sns,
  };
}

export interface SnsMessages {
  /** Every message published (to one topic), oldest first. */
  messages(topicArn?: string): PublishedMessage[];
}

function required(p: QueryParameters, name: string): string {
  const value = p.get(name);
  if (value === undefined || value === '') {
    throw new AwsError(
      'InvalidParameter',
      `Invalid parameter: ${name} Reason: no value for required parameter`,
    );
  }
  return value;
}

/** `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` (or BinaryValue). */
function messageAttributes(p: QueryParameters): PublishedMessage['attributes'] {
  const attributes: PublishedMessage['attributes'] = {};
  for (const entry of mapEntries(p, 'MessageAttributes')) {
    const name = entry.get('Name') ?? '';
    const dataType = entry.get('Value.DataType') ?? '';
    const value = entry.get('Value.StringValue') ?? entry.get('Value.BinaryValue');
    if (!/^(String|Number|Binary)(\..+)?$/.test(dataType) || value === undefined) {
      throw new AwsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`,
      );
    }
    attributes[name] = { dataType, value };
  }
  return attributes;
}

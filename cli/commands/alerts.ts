/**
 * `medallion alerts`: the alerts the running local stack published (failed runs, backfills with
 * failed dates, warn checks, recoveries), read from the emulator's SNS. On AWS, SNS keeps no
 * published messages to read back: subscribe to the topic (e-mail, SQS, AWS Chatbot) instead.
 */
import { dataDirectory, loadEndpoints } from '../../local/local-state';

/** A message as the emulator's `GET /_emulator/sns/messages` returns it. */
interface LocalAlertMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, { dataType: string; value: string }>;
  publishedAt: string;
}

export interface AlertsOptions {
  pipeline?: string;
  limit?: string;
  full?: boolean;
}

/** Every message the emulator's SNS holds for the topic, oldest first. */
export async function localAlerts(endpoint: string, topicArn: string): Promise<LocalAlertMessage[]> {
  const url = `${endpoint}/_emulator/sns/messages?topic=${encodeURIComponent(topicArn)}`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the emulator at ${endpoint} answered ${response.status} for ${url}`);
  return (await response.json()) as LocalAlertMessage[];
}

/** The newest `limit` messages of `pipeline` (all pipelines when unset), oldest first. */
function selectAlerts(messages: LocalAlertMessage[], options: AlertsOptions): LocalAlertMessage[] {
  const limit = options.limit === undefined ? 20 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new Error(`--limit ${options.limit} is not a count: use a whole number of 1 or more`);
  }
  const mine = messages.filter((m) => !options.pipeline || m.attributes.pipeline?.value === options.pipeline);
  return mine.slice(-limit);
}

/** The table `medallion alerts` prints, one row per message. */
export function alertRows(messages: LocalAlertMessage[]) {
  return messages.map((m) => ({
    publishedAt: m.publishedAt,
    event: m.attributes.event?.value ?? '',
    pipeline: m.attributes.pipeline?.value ?? '',
    scope: m.attributes.scope?.value ?? '',
    stage: m.attributes.stage?.value ?? '',
    class: m.attributes.errorClass?.value ?? '',
    subject: m.subject ?? '',
  }));
}

export async function alertsCommand(options: AlertsOptions): Promise<void> {
  if (process.env.MEDALLION_CONFIG) {
    throw new Error(
      'SNS keeps no published messages to list: on AWS, subscribe to the topic of environment.alerts.topicArn ' +
        '(e-mail, SQS, AWS Chatbot). `medallion alerts` lists the alerts of the local stack (`npm start`).',
    );
  }
  const local = loadEndpoints(dataDirectory());
  if (!local) throw new Error('no running local stack: start one with `npm start`');
  const topicArn = local.environment.alerts?.topicArn;
  if (!local.environment.endpoint || !topicArn) {
    throw new Error('the running local stack has no alerts topic: restart it with `npm start`');
  }
  const messages = selectAlerts(await localAlerts(local.environment.endpoint, topicArn), options);
  if (messages.length === 0) {
    process.stdout.write(`(no alerts published to ${topicArn})\n`);
    return;
  }
  if (options.full) {
    for (const m of messages)
      process.stdout.write(`--- ${m.publishedAt} ${m.subject ?? ''}\n${m.message}\n\n`);
    return;
  }
  console.table(alertRows(messages));
}

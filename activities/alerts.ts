/**
 * The alert activity: compares what a run ended with against the open alerts of its pipeline and
 * scope (alert-log.ts), publishes new causes and recoveries to the environment's SNS topic, and
 * records what it published. Publish first, record second: a worker lost between the two publishes
 * again on the retry (at least once, as SNS itself delivers), while the other order could lose an
 * alert for good. On a FIFO topic the retry's duplicate is also dropped by SNS: the deduplication id
 * is derived from the run, the activity and the message, and SNS drops a repeated id for 5 minutes
 * ("Message deduplication for FIFO topics", Amazon SNS Developer Guide; Publish API
 * MessageDeduplicationId). Standard topics (the only kind email and HTTPS subscriptions accept) keep
 * no such state, so the lake bucket keeps it for both.
 */
import { createHash } from 'node:crypto';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { Context } from '@temporalio/activity';
import {
  type AlertContext,
  type AlertMessage,
  alertMessage,
  decideAlerts,
  type OpenAlert,
  recoveredMessage,
  type SettleAlertsRequest,
  type SettleAlertsResult,
} from '../core/alerts';
import type { AlertLog } from './alert-log';
import { awsCall } from './aws-call';

export interface AlertSettings {
  topicArn: string;
  /** The environment's name, in every message. */
  environment: string;
  /** Base URL of the Temporal UI (e.g. http://127.0.0.1:8233): messages link to the run. */
  temporalUiUrl?: string;
}

export interface AlertDependencies {
  sns: SNSClient;
  log: AlertLog;
  /** Unset: alerts are off (the worker says so at start); the activity records and sends nothing. */
  settings?: AlertSettings;
  now?: () => Date;
}

/** The Temporal UI's page of one workflow run. */
export function temporalRunLink(base: string, namespace: string, workflowId: string, runId: string): string {
  const root = base.replace(/\/+$/, '');
  return `${root}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

export function createAlertActivities(deps: AlertDependencies) {
  const now = deps.now ?? (() => new Date());

  async function settleAlerts(request: SettleAlertsRequest): Promise<SettleAlertsResult> {
    const context = Context.current();
    const settings = deps.settings;
    if (!settings) return { alerted: [], recovered: [], alreadyOpen: [] };
    const { activityId } = context.info;
    // Always set for an activity a workflow scheduled (the only kind medallion runs).
    const workflowExecution = context.info.workflowExecution ?? { workflowId: 'unknown', runId: 'unknown' };
    const workflowNamespace = context.info.workflowNamespace ?? 'default';
    const open = await deps.log.open(request.pipeline, request.scope);
    const decision = decideAlerts(request, open);
    const message: AlertContext = {
      pipeline: request.pipeline,
      scope: request.scope,
      environment: settings.environment,
      ...(settings.temporalUiUrl
        ? {
            temporalUiUrl: temporalRunLink(
              settings.temporalUiUrl,
              workflowNamespace,
              workflowExecution.workflowId,
              workflowExecution.runId,
            ),
          }
        : {}),
    };
    // Same run, activity and message: the same id on every retry of this activity.
    const dedupSeed = `${workflowExecution.runId}/${activityId}`;

    if (decision.toAlert.length > 0) {
      const text = alertMessage(
        message,
        decision.toAlert.map((a) => a.cause),
      );
      const messageId = await publish(settings, request, text, `${dedupSeed}/alert`);
      const publishedAt = now().toISOString();
      await Promise.all(
        decision.toAlert.map(({ id, cause }) =>
          deps.log.record(request.pipeline, request.scope, {
            id,
            cause,
            publishedAt,
            workflowId: workflowExecution.workflowId,
            runId: workflowExecution.runId,
            ...(messageId ? { messageId } : {}),
          } satisfies OpenAlert),
        ),
      );
      context.log.info('alert published', {
        scope: request.scope,
        causes: decision.toAlert.map((a) => a.id),
      });
    }
    if (decision.toRecover.length > 0) {
      const text = recoveredMessage(message, decision.toRecover);
      await publish(settings, request, text, `${dedupSeed}/recovered`);
      await Promise.all(decision.toRecover.map((a) => deps.log.clear(request.pipeline, request.scope, a.id)));
      context.log.info('recovery published', {
        scope: request.scope,
        causes: decision.toRecover.map((a) => a.id),
      });
    }
    return {
      alerted: decision.toAlert.map((a) => a.id),
      recovered: decision.toRecover.map((a) => a.id),
      alreadyOpen: decision.alreadyOpen,
    };
  }

  async function publish(
    settings: AlertSettings,
    request: SettleAlertsRequest,
    text: AlertMessage,
    dedupKey: string,
  ): Promise<string | undefined> {
    const fifo = settings.topicArn.endsWith('.fifo');
    const output = await awsCall({ service: 'SNS', job: settings.topicArn }, 'Publish', (options) =>
      deps.sns.send(
        new PublishCommand({
          TopicArn: settings.topicArn,
          Subject: text.subject,
          Message: text.body,
          MessageAttributes: Object.fromEntries(
            Object.entries(text.attributes).map(([name, value]) => [
              name,
              { DataType: 'String', StringValue: value },
            ]),
          ),
          // FIFO topics require a group (ordering within it) and, without content-based deduplication, an id.
          ...(fifo
            ? {
                MessageGroupId: `${request.pipeline}/${request.scope}`.slice(0, 128),
                MessageDeduplicationId: createHash('sha256').update(dedupKey).digest('hex'),
              }
            : {}),
        }),
        options,
      ),
    );
    return output.MessageId;
  }

  return { settleAlerts };
}

export type AlertActivities = ReturnType<typeof createAlertActivities>;

/**
 * The end of a run tells the alert activity what is wrong now and what ran to success. Alerting
 * never changes how a run ends: the activity is retried a few times (SNS or S3 trouble), then the
 * run logs that it could not alert and ends as it would have.
 */
import { ActivityFailure, log, proxyActivities } from '@temporalio/workflow';
import type { PipelineActivities } from '../core/activity-contracts';
import {
  type AlertCause,
  type SettleAlertsRequest,
  type SettleAlertsResult,
  warnCauses,
} from '../core/alerts';
import type { BackfillDate, BackfillSettings } from '../core/backfill-report';
import type { DailyRunReport } from '../core/run-report';

/** The error class of a backfill's failed date: one cause per date, whatever its run failed with. */
const BACKFILL_DATE_FAILED = 'DateFailed';

/** The id of the planning step as alerts name it: a run whose planning failed has no stage yet. */
export const PLAN_STAGE = 'plan';

const { settleAlerts } = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '1 minute',
  // Bounded: about 2.5 minutes of retries, then the run ends without its alert (and logs why).
  retry: { maximumAttempts: 5, initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute' },
  summary: 'alerts: publish new failures and recoveries to the SNS topic',
});

/** Sends the run's alerts; resolves to undefined when the activity gave up. */
export async function sendAlerts(request: SettleAlertsRequest): Promise<SettleAlertsResult | undefined> {
  try {
    return await settleAlerts(request);
  } catch (error) {
    const cause = error instanceof ActivityFailure ? error.cause : error;
    log.warn('alerts could not be published; the run ends as it would have', {
      scope: request.scope,
      causes: request.causes.map((c) => `${c.stage}: ${c.errorClass}`),
      error: cause instanceof Error ? cause.message : String(cause),
    });
    return undefined;
  }
}

/**
 * What a daily run's report says for alerts: its failed stages and the `warn` checks that did not
 * pass. In a backfill (`recoveriesOnly`) its failures and warnings are left to the backfill's one
 * alert at its end; recoveries are still sent.
 */
export function dailyAlertRequest(report: DailyRunReport, recoveriesOnly: boolean): SettleAlertsRequest {
  const failed: AlertCause[] = report.stages
    .filter((s) => s.status === 'failed')
    .map((s) => ({
      kind: 'failed' as const,
      stage: s.id,
      errorClass: s.errorClass ?? 'StageFailed',
      message: s.error ?? 'failed',
      ...(s.consoleUrl ? { consoleUrl: s.consoleUrl } : {}),
    }));
  const warned = report.stages.flatMap((s) => (s.status === 'skipped' ? [] : warnCauses(s.id, s.checks)));
  return {
    pipeline: report.pipeline,
    scope: report.logicalDate,
    causes: [...failed, ...warned],
    healthy: [PLAN_STAGE, ...report.stages.filter((s) => s.status === 'succeeded').map((s) => s.id)],
    ...(recoveriesOnly ? { recoveriesOnly } : {}),
  };
}

/**
 * What a backfill that ran to its end says for alerts: one cause per failed date (its reason as the
 * message) and one per `warn` check that tripped in a date's run, published together as one message;
 * its succeeded and skipped dates recover the causes a previous backfill of the same range left open,
 * but a warning only when the date ran again without it. Its daily runs sent no alerts of their own.
 */
export function backfillAlertRequest(
  settings: Pick<BackfillSettings, 'pipeline' | 'from' | 'to'>,
  dates: readonly BackfillDate[],
): SettleAlertsRequest {
  return {
    pipeline: settings.pipeline,
    scope: `backfill/${settings.from}..${settings.to}`,
    causes: [
      ...dates
        .filter((d) => d.status === 'failed')
        .map((d) => ({
          kind: 'backfill-date-failed' as const,
          stage: d.date,
          errorClass: BACKFILL_DATE_FAILED,
          message: d.reason ?? 'failed',
        })),
      ...dates.flatMap((d) =>
        (d.warnings ?? []).map((w) => ({
          kind: 'backfill-date-warning' as const,
          stage: d.date,
          errorClass: w.check,
          message: w.message,
        })),
      ),
    ],
    healthy: dates.filter((d) => d.status === 'succeeded' || d.status === 'skipped').map((d) => d.date),
    notRechecked: dates.filter((d) => d.status === 'skipped').map((d) => d.date),
  };
}

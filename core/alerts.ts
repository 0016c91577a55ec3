import type { CheckOutcome } from './check-outcome';

/**
 * Alerts: what is wrong with a daily run or a backfill, as causes an operator is told about once.
 * A cause is identified by what went wrong (kind, stage or date, error class or check), never by the
 * message or the attempt, so retries, resets and reruns that meet the same failure find it already
 * alerted. The alert activity (activities/alerts.ts) keeps the open causes per pipeline and scope and
 * compares them with what a run ended with: new causes are published, open causes whose stage (or
 * date) ran to success are published as recovered. Pure: no I/O.
 */

type AlertKind =
  /** A stage of a daily run failed (`stage` is its id; `plan` when planning itself failed). */
  | 'failed'
  /** A `warn` data-quality check did not pass (`errorClass` is the check's name). */
  | 'warn'
  /** A backfill ended with this date failed (`stage` is the date). */
  | 'backfill-date-failed'
  /** A `warn` check did not pass in a backfill's run of this date (`stage` is the date, `errorClass` `<stage>.<check>`). */
  | 'backfill-date-warning';

export interface AlertCause {
  kind: AlertKind;
  /** The stage id, or the date for a backfill's cause. */
  stage: string;
  /** The failure type (`AwsJobFailed`, `PipelineFailed`, ...) or the check's name. */
  errorClass: string;
  message: string;
  consoleUrl?: string;
}

export interface SettleAlertsRequest {
  pipeline: string;
  /** The logical date of a daily run, or `backfill/<from>..<to>` for a backfill. */
  scope: string;
  /** What is wrong now. Causes already open stay open and are not published again. */
  causes: AlertCause[];
  /** Stages (or dates) that ran to success in this run: their open causes are recovered. */
  healthy: string[];
  /**
   * Of `healthy`, the dates a backfill skipped as done before: their open failures are recovered, but
   * their open warnings stay open, as no check ran on them again.
   */
  notRechecked?: string[];
  /**
   * Record no new causes and publish none, only recoveries: a backfill's daily runs leave their
   * failures to the backfill's one alert. Their causes still keep open alerts from being recovered.
   */
  recoveriesOnly?: boolean;
}

export interface SettleAlertsResult {
  /** Cause ids published as new alerts. */
  alerted: string[];
  /** Cause ids that were open and are recovered now. */
  recovered: string[];
  /** Cause ids that were open already: not published again. */
  alreadyOpen: string[];
}

/** A warn check that did not pass, as an alert cause of its stage. */
export function warnCauses(stageId: string, checks: readonly CheckOutcome[] | undefined): AlertCause[] {
  return (checks ?? [])
    .filter((c) => c.severity === 'warn' && !c.passed)
    .map((c) => ({ kind: 'warn', stage: stageId, errorClass: c.check, message: c.message }));
}

/** An open cause as the alert log keeps it. */
export interface OpenAlert {
  id: string;
  cause: AlertCause;
  /** When it was published, and by which run (for the recovered message and for people). */
  publishedAt: string;
  workflowId: string;
  runId: string;
  messageId?: string;
}

/** A stable id of a cause, safe as an S3 key segment: `<kind>.<stage>.<errorClass>`. */
export function alertCauseId(cause: Pick<AlertCause, 'kind' | 'stage' | 'errorClass'>): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 80) || '-';
  return `${cause.kind}.${safe(cause.stage)}.${safe(cause.errorClass)}`;
}

export interface AlertDecision {
  /** Causes to publish now (deduplicated by id, first one kept). */
  toAlert: { id: string; cause: AlertCause }[];
  toRecover: OpenAlert[];
  alreadyOpen: string[];
}

/** Compares what a run ended with against the open causes. */
export function decideAlerts(request: SettleAlertsRequest, open: OpenAlert[]): AlertDecision {
  const openIds = new Set(open.map((a) => a.id));
  const nowIds = new Set<string>();
  const toAlert: AlertDecision['toAlert'] = [];
  const alreadyOpen: string[] = [];
  for (const cause of request.causes) {
    const id = alertCauseId(cause);
    if (nowIds.has(id)) continue;
    nowIds.add(id);
    if (openIds.has(id)) alreadyOpen.push(id);
    else if (!request.recoveriesOnly) toAlert.push({ id, cause });
  }
  const healthy = new Set(request.healthy);
  const notRechecked = new Set(request.notRechecked);
  const toRecover = open.filter(
    (a) =>
      !nowIds.has(a.id) &&
      healthy.has(a.cause.stage) &&
      !(a.cause.kind === 'backfill-date-warning' && notRechecked.has(a.cause.stage)),
  );
  return { toAlert, toRecover, alreadyOpen };
}

/** Links and names a message carries besides the causes. */
export interface AlertContext {
  pipeline: string;
  scope: string;
  environment: string;
  temporalUiUrl?: string;
}

export interface AlertMessage {
  /** SNS Subject: at most 100 printable ASCII characters, no line breaks (SNS Publish API). */
  subject: string;
  body: string;
  /** SNS message attributes (String), for subscription filter policies. */
  attributes: Record<string, string>;
}

const KIND_TEXT: Record<AlertKind, string> = {
  failed: 'failed',
  warn: 'quality warning',
  'backfill-date-failed': 'date failed in backfill',
  'backfill-date-warning': 'quality warning in backfill',
};

/** The message announcing new causes. */
export function alertMessage(context: AlertContext, causes: AlertCause[]): AlertMessage {
  const first = causes[0]!;
  const what = causes.every((c) => c.kind === 'backfill-date-failed' || c.kind === 'backfill-date-warning')
    ? backfillDatesText(causes)
    : causes.length === 1
      ? `${first.stage} ${KIND_TEXT[first.kind]} (${first.errorClass})`
      : `${causes.length} problems, first ${first.stage} ${KIND_TEXT[first.kind]} (${first.errorClass})`;
  const lines = [
    `medallion ${context.pipeline} ${context.scope} in ${context.environment}: ${what}`,
    '',
    ...causes.flatMap((cause) => [
      `- ${cause.stage}: ${KIND_TEXT[cause.kind]}`,
      `  error class: ${cause.errorClass}`,
      `  message: ${cause.message}`,
      ...(cause.consoleUrl ? [`  AWS console: ${cause.consoleUrl}`] : []),
    ]),
    ...(context.temporalUiUrl ? ['', `Temporal UI: ${context.temporalUiUrl}`] : []),
  ];
  return {
    subject: subjectOf(`medallion ${context.pipeline} ${context.scope}: ${what}`),
    body: lines.join('\n'),
    attributes: attributesOf(context, 'alert', first),
  };
}

/**
 * The subject of a backfill's alert names its first two failed dates (more would not fit the 100
 * characters of an SNS subject); the body lists them all.
 */
/** `2 dates failed: D1, D2; 1 date with warnings: D3` (each list names two dates at most). */
function backfillDatesText(causes: AlertCause[]): string {
  const datesOf = (kind: AlertKind) => [
    ...new Set(causes.filter((c) => c.kind === kind).map((c) => c.stage)),
  ];
  const listed = (dates: string[], what: string) => {
    if (dates.length === 0) return [];
    const named = dates.slice(0, 2).join(', ');
    const more = dates.length > 2 ? ` and ${dates.length - 2} more` : '';
    return [`${dates.length} ${dates.length === 1 ? 'date' : 'dates'} ${what}: ${named}${more}`];
  };
  return [
    ...listed(datesOf('backfill-date-failed'), 'failed'),
    ...listed(datesOf('backfill-date-warning'), 'with warnings'),
  ].join('; ');
}

/** The message saying open causes are over. */
export function recoveredMessage(context: AlertContext, recovered: OpenAlert[]): AlertMessage {
  const first = recovered[0]!.cause;
  const what =
    recovered.length === 1
      ? `${first.stage} recovered (was ${first.errorClass})`
      : `${recovered.length} problems recovered`;
  const lines = [
    `medallion ${context.pipeline} ${context.scope} in ${context.environment}: ${what}`,
    '',
    ...recovered.map(
      (a) =>
        `- ${a.cause.stage}: ${KIND_TEXT[a.cause.kind]} (${a.cause.errorClass}) alerted ${a.publishedAt}`,
    ),
    ...(context.temporalUiUrl ? ['', `Temporal UI: ${context.temporalUiUrl}`] : []),
  ];
  return {
    subject: subjectOf(`medallion ${context.pipeline} ${context.scope}: ${what}`),
    body: lines.join('\n'),
    attributes: attributesOf(context, 'recovered', first),
  };
}

function attributesOf(context: AlertContext, event: 'alert' | 'recovered', cause: AlertCause) {
  return {
    event,
    pipeline: context.pipeline,
    scope: context.scope,
    stage: cause.stage,
    kind: cause.kind,
    errorClass: cause.errorClass,
  };
}

/** SNS: "ASCII text that begins with a letter, number, or punctuation mark; no line breaks", <= 100. */
function subjectOf(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}

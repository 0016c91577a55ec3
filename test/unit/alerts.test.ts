import { describe, expect, it } from 'vitest';
import {
  type AlertCause,
  alertCauseId,
  alertMessage,
  decideAlerts,
  type OpenAlert,
  warnCauses,
} from '../../core/alerts';
import type { BackfillDate } from '../../core/backfill-report';
import { backfillAlertRequest } from '../../workflows/run-alerts';

const failed: AlertCause = {
  kind: 'failed',
  stage: 'silver',
  errorClass: 'AwsJobFailed',
  message: 'bad SQL',
};
const open = (cause: AlertCause): OpenAlert => ({
  id: alertCauseId(cause),
  cause,
  publishedAt: '2026-12-07T02:00:00.000Z',
  workflowId: 'shop/2026-12-06',
  runId: 'r',
});

describe('decideAlerts', () => {
  it('alerts new causes, keeps open ones quiet, recovers open causes of healthy stages only', () => {
    const warn: AlertCause = { kind: 'warn', stage: 'gold', errorClass: 'min_rows', message: '1 < 5' };
    const decision = decideAlerts(
      { pipeline: 'shop', scope: '2026-12-06', causes: [failed, failed], healthy: ['gold'] },
      [open(failed), open(warn)],
    );
    expect(decision.toAlert).toEqual([]);
    expect(decision.alreadyOpen).toEqual(['failed.silver.AwsJobFailed']);
    expect(decision.toRecover.map((a) => a.id)).toEqual(['warn.gold.min_rows']);
  });

  it('with recoveriesOnly, a new cause is neither alerted nor recovered', () => {
    const warn: AlertCause = { kind: 'warn', stage: 'gold', errorClass: 'min_rows', message: '1 < 5' };
    const decision = decideAlerts(
      { pipeline: 'shop', scope: 'd', causes: [failed, warn], healthy: ['gold'], recoveriesOnly: true },
      [open(warn)],
    );
    expect(decision).toEqual({ toAlert: [], toRecover: [], alreadyOpen: ['warn.gold.min_rows'] });
  });

  it('cause ids are S3-key safe and do not depend on the message', () => {
    expect(alertCauseId({ kind: 'backfill-date-failed', stage: '2026-12-06', errorClass: 'a/b c' })).toBe(
      'backfill-date-failed.2026-12-06.a-b-c',
    );
    const reworded: AlertCause = { ...failed, message: 'other words, another run id' };
    expect(alertCauseId(reworded)).toBe(alertCauseId(failed));
  });

  it('takes warn checks that did not pass, not blocking ones or passed ones', () => {
    const outcome = { stageId: 'gold', measured: 1, bound: '>= 5', message: 'm' };
    expect(
      warnCauses('gold', [
        { ...outcome, check: 'a', severity: 'warn', passed: false },
        { ...outcome, check: 'b', severity: 'warn', passed: true },
        { ...outcome, check: 'c', severity: 'block', passed: false },
      ]).map((c) => c.errorClass),
    ).toEqual(['a']);
  });

  it('keeps the SNS subject within 100 printable ASCII characters', () => {
    const long: AlertCause = { ...failed, stage: `stage_${'x'.repeat(120)}`, errorClass: 'Ünïcode\nclass' };
    const { subject } = alertMessage({ pipeline: 'shop', scope: 'd', environment: 'prod' }, [long]);
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it("a backfill's request: one cause per failed date, its done dates healthy; the subject names the first dates", () => {
    const dates: BackfillDate[] = [
      { date: '2026-11-01', status: 'succeeded', rerun: false },
      { date: '2026-11-02', status: 'skipped', rerun: true },
      ...['03', '04', '05', '06', '07'].map((day) => ({
        date: `2026-11-${day}`,
        status: 'failed' as const,
        rerun: false,
        reason: `fact_orders failed on ${day}`,
      })),
      { date: '2026-11-08', status: 'cancelled', rerun: false },
    ];
    const request = backfillAlertRequest({ pipeline: 'shop', from: '2026-11-01', to: '2026-11-08' }, dates);
    expect(request.scope).toBe('backfill/2026-11-01..2026-11-08');
    expect(request.healthy).toEqual(['2026-11-01', '2026-11-02']);
    expect(request.causes.map((c) => [c.kind, c.stage, c.message])).toEqual(
      dates.slice(2, 7).map((d) => ['backfill-date-failed', d.date, d.reason]),
    );
    const message = alertMessage(
      { pipeline: 'shop', scope: request.scope, environment: 'prod' },
      request.causes,
    );
    expect(message.subject).toBe(
      'medallion shop backfill/2026-11-01..2026-11-08: 5 dates failed: 2026-11-03, 2026-11-04 and 3 more',
    );
    expect(message.body).toContain('- 2026-11-07: date failed in backfill\n  error class: DateFailed');
  });

  it("lists a backfill's warned dates beside its failed ones; a date skipped as done keeps its warning open", () => {
    const warning = { check: 'silver_orders.orders_keep_flowing', message: 'measured 0' };
    const dates: BackfillDate[] = [
      { date: '2026-11-01', status: 'failed', rerun: false, reason: 'fact_orders failed' },
      { date: '2026-11-02', status: 'succeeded', rerun: false, warnings: [warning] },
      { date: '2026-11-03', status: 'failed', rerun: false, warnings: [warning] },
    ];
    const request = backfillAlertRequest({ pipeline: 'shop', from: '2026-11-01', to: '2026-11-03' }, dates);
    expect(request.causes.map((c) => `${c.kind} ${c.stage} ${c.errorClass}`)).toEqual([
      'backfill-date-failed 2026-11-01 DateFailed',
      'backfill-date-failed 2026-11-03 DateFailed',
      'backfill-date-warning 2026-11-02 silver_orders.orders_keep_flowing',
      'backfill-date-warning 2026-11-03 silver_orders.orders_keep_flowing',
    ]);
    const message = alertMessage(
      { pipeline: 'shop', scope: request.scope, environment: 'prod' },
      request.causes,
    );
    expect(message.body.split('\n')[0]).toBe(
      'medallion shop backfill/2026-11-01..2026-11-03 in prod: 2 dates failed: 2026-11-01, 2026-11-03; 2 dates with warnings: 2026-11-02, 2026-11-03',
    );
    expect(message.subject).toMatch(
      /^medallion shop backfill\/2026-11-01\.\.2026-11-03: 2 dates failed: .*\.\.\.$/,
    );

    const warned = open(request.causes[2]!);
    const dateFailed = open(request.causes[0]!);
    const skippedLater = backfillAlertRequest({ pipeline: 'shop', from: '2026-11-01', to: '2026-11-03' }, [
      { date: '2026-11-01', status: 'skipped', rerun: true },
      { date: '2026-11-02', status: 'skipped', rerun: true },
    ]);
    expect(decideAlerts(skippedLater, [warned, dateFailed]).toRecover).toEqual([dateFailed]);
    const ranAgain = backfillAlertRequest({ pipeline: 'shop', from: '2026-11-01', to: '2026-11-03' }, [
      { date: '2026-11-02', status: 'succeeded', rerun: true },
    ]);
    expect(decideAlerts(ranAgain, [warned]).toRecover).toEqual([warned]);
  });
});

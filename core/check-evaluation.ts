/**
 * Holds each check's measurement to its bound and words the outcome. Pure: the job (lake) or the
 * staging probe (warehouse) measured; this decides, identically for both sites.
 */
import type { CheckOutcome } from './check-outcome';
import type { QualityCheck } from './quality-checks';

export interface CheckMeasurements {
  /** Per check name: what its SQL measured (absent or null when it could not be measured). */
  measured: Record<string, number | null | undefined>;
  /** The stage's row count (lake: rows written; warehouse: rows staged). */
  rowCount?: number;
  /** Lake only: rows the job's SELECT produced and rows it quarantined. */
  rowsIn?: number;
  quarantined?: number;
  /** Earlier dates' row counts of the stage (one per date that has one), for trailing bounds. */
  trailingCounts?: number[];
}

export function evaluateChecks(
  stageId: string,
  checks: readonly QualityCheck[],
  m: CheckMeasurements,
): CheckOutcome[] {
  return checks.map((check) => {
    const verdict = judge(check, m);
    const outcome = verdict.passed ? 'passed' : check.severity === 'block' ? 'FAILED' : 'warning';
    return {
      check: check.name,
      stageId,
      severity: check.severity,
      passed: verdict.passed,
      measured: verdict.measured,
      bound: verdict.bound,
      message: `${stageId}.${check.name} (${check.kind}, ${check.severity}) ${outcome}: measured ${
        verdict.measured ?? 'nothing'
      }, bound ${verdict.bound}${verdict.note ? ` (${verdict.note})` : ''}`,
    };
  });
}

/** The outcomes that fail the stage. */
export function blockingFailures(outcomes: readonly CheckOutcome[]): CheckOutcome[] {
  return outcomes.filter((o) => !o.passed && o.severity === 'block');
}

interface Verdict {
  passed: boolean;
  measured: number | string | null;
  bound: string;
  note?: string;
}

function judge(check: QualityCheck, m: CheckMeasurements): Verdict {
  switch (check.kind) {
    case 'rowCount':
      return judgeRowCount(check, m);
    case 'quarantineRatio': {
      const bound = `<= ${check.max}`;
      if (m.rowsIn === undefined || m.quarantined === undefined)
        return { passed: false, measured: null, bound, note: 'the job reported no counts' };
      const ratio = m.rowsIn === 0 ? 0 : round(m.quarantined / m.rowsIn);
      return {
        passed: ratio <= check.max,
        measured: ratio,
        bound,
        note: `${m.quarantined} of ${m.rowsIn} rows quarantined`,
      };
    }
    case 'unique':
      return atMost(m.measured[check.name], 0, `duplicate (${check.columns.join(', ')}) keys`);
    case 'notNull':
      return atMost(m.measured[check.name], 0, `rows with NULL ${check.columns.join(' or ')}`);
    case 'references':
      return atMost(m.measured[check.name], 0, `rows whose key is missing from ${check.table}`);
    case 'predicate':
      return atMost(m.measured[check.name], check.maxViolations, `rows violating ${check.sql}`);
    case 'freshness': {
      const value = m.measured[check.name];
      const bound = `>= 1 row changed within ${check.within} of the day's end`;
      if (value === undefined || value === null) return { passed: false, measured: null, bound };
      return { passed: value >= 1, measured: value, bound };
    }
  }
}

function atMost(value: number | null | undefined, max: number, what: string): Verdict {
  const bound = `<= ${max} ${what}`;
  if (value === undefined || value === null) return { passed: false, measured: null, bound };
  return { passed: value <= max, measured: value, bound };
}

function judgeRowCount(check: Extract<QualityCheck, { kind: 'rowCount' }>, m: CheckMeasurements): Verdict {
  const bounds: string[] = [];
  let low = check.min ?? 0;
  let high = check.max ?? Number.POSITIVE_INFINITY;
  if (check.min !== undefined) bounds.push(`>= ${check.min}`);
  if (check.max !== undefined) bounds.push(`<= ${check.max}`);
  let note: string | undefined;
  if (check.trailing) {
    const history = m.trailingCounts ?? [];
    if (history.length === 0) {
      note = `no earlier day to compare with over ${check.trailing.days} days`;
    } else {
      const med = median(history);
      note = `median of ${history.length} earlier day(s): ${med}`;
      if (check.trailing.minRatio !== undefined) {
        const min = Math.ceil(med * check.trailing.minRatio);
        bounds.push(`>= ${min} (${check.trailing.minRatio} x ${check.trailing.days}-day median ${med})`);
        low = Math.max(low, min);
      }
      if (check.trailing.maxRatio !== undefined) {
        const max = Math.floor(med * check.trailing.maxRatio);
        bounds.push(`<= ${max} (${check.trailing.maxRatio} x ${check.trailing.days}-day median ${med})`);
        high = Math.min(high, max);
      }
    }
  }
  const bound = bounds.length > 0 ? bounds.join(' and ') : 'any (no history yet)';
  const count = m.rowCount;
  if (count === undefined) return { passed: false, measured: null, bound, note: 'no row count' };
  return { passed: count >= low && count <= high, measured: count, bound, ...(note ? { note } : {}) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

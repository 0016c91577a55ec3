/**
 * medallion's own Prometheus metrics, served by the worker at GET /metrics (workers/health-server.ts):
 * per stage its duration, rows in, out and quarantined, and failures by class; per AWS operation the
 * calls the activities send (status polls among them). The Temporal SDK's own metrics are served by
 * its runtime on a port of their own (workers/main.ts). Labels stay few and bounded: pipeline, stage,
 * stage kind, outcome, error class, AWS service and operation; never a date or a run id.
 */
import type { AwsClients } from '../activities';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StageInput, StageResult } from '../core/stage-io';
import { STAGE_ACTIVITY_NAMES, type StageActivities } from '../activities/stage-done-markers';

export const METRIC_NAMES = {
  stageDuration: 'medallion_stage_duration_seconds',
  rowsIn: 'medallion_stage_rows_in_total',
  rowsOut: 'medallion_stage_rows_out_total',
  quarantined: 'medallion_stage_rows_quarantined_total',
  failures: 'medallion_stage_failures_total',
  awsCalls: 'medallion_aws_calls_total',
} as const;

export class WorkerMetrics {
  readonly registry = new Registry();
  readonly stageDuration = new Histogram({
    name: METRIC_NAMES.stageDuration,
    help: 'Wall time of a stage activity attempt, from start to its AWS run ending',
    labelNames: ['pipeline', 'stage', 'kind', 'outcome'] as const,
    // Emulated stages take a second; Glue and EMR jobs minutes to hours.
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800],
    registers: [this.registry],
  });
  readonly rowsIn = this.counter(METRIC_NAMES.rowsIn, 'Rows a stage read');
  readonly rowsOut = this.counter(METRIC_NAMES.rowsOut, 'Rows a stage wrote');
  readonly quarantined = this.counter(METRIC_NAMES.quarantined, 'Rows a stage set aside in quarantine');
  readonly failures = new Counter({
    name: METRIC_NAMES.failures,
    help: 'Failed stage activity attempts, by error class (ApplicationFailure type or error name)',
    labelNames: ['pipeline', 'stage', 'kind', 'class'] as const,
    registers: [this.registry],
  });
  readonly awsCalls = new Counter({
    name: METRIC_NAMES.awsCalls,
    help: 'AWS API calls the activities sent, by service and operation (Get*/Describe* are status polls)',
    labelNames: ['service', 'operation'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'medallion_worker_' });
  }

  private counter(name: string, help: string) {
    return new Counter({
      name,
      help,
      labelNames: ['pipeline', 'stage', 'kind'] as const,
      registers: [this.registry],
    });
  }
}

/** The class of a failure as operators filter it: the ApplicationFailure type, else the error's name. */
function failureClass(error: unknown): string {
  if (error && typeof error === 'object') {
    const { type, name } = error as { type?: unknown; name?: unknown };
    if (typeof type === 'string' && type) return type;
    if (typeof name === 'string' && name) return name;
  }
  return 'Error';
}

/** The same stage activities, each attempt measured. */
export function measuringStages<T extends StageActivities>(activities: T, metrics: WorkerMetrics): T {
  const wrapped = { ...activities };
  for (const name of STAGE_ACTIVITY_NAMES) {
    const run = activities[name] as (input: StageInput) => Promise<StageResult>;
    (wrapped as Record<string, unknown>)[name] = async (input: StageInput): Promise<StageResult> => {
      const labels = { pipeline: input.identity.pipeline, stage: input.identity.stageId, kind: input.kind };
      const stop = metrics.stageDuration.startTimer(labels);
      try {
        const result = await run(input);
        stop({ outcome: 'succeeded' });
        metrics.rowsIn.inc(labels, result.rowsIn ?? 0);
        metrics.rowsOut.inc(labels, result.rowsOut ?? 0);
        metrics.quarantined.inc(labels, result.quarantined ?? 0);
        return result;
      } catch (error) {
        stop({ outcome: 'failed' });
        metrics.failures.inc({ ...labels, class: failureClass(error) });
        throw error;
      }
    };
  }
  return wrapped;
}

/** Counts every call the clients send, labelled by service (client) and operation (command). */
export function countingAwsCalls(clients: AwsClients, metrics: WorkerMetrics): AwsClients {
  for (const client of Object.values(clients)) {
    (client as { middlewareStack: { add: (...args: unknown[]) => void } }).middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string }) =>
        (args: unknown) => {
          metrics.awsCalls.inc({
            service: (context.clientName ?? 'unknown').replace(/Client$/, ''),
            operation: (context.commandName ?? 'unknown').replace(/Command$/, ''),
          });
          return next(args);
        },
      { step: 'initialize', name: 'medallionCallMetrics' },
    );
  }
  return clients;
}

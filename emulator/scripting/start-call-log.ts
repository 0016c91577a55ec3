import type { AppendLog } from '../runtime/append-log';

/** One Start* call (StartJobRun, StartFlow, ExecuteStatement, ...) as the emulator answered it. */
export interface StartCall {
  seq: number;
  at: string;
  service: string;
  operation: string;
  /** Job, application, task, flow or workgroup/cluster the call addressed ('' when the call was refused before parsing). */
  resource: string;
  /** clientToken / ClientToken / --medallion_run_key, when the call carried one. */
  idempotencyKey?: string;
  /** started: a new run; replayed: an idempotent repeat answered with the earlier run; rejected: an error. */
  outcome: 'started' | 'replayed' | 'rejected';
  runId?: string;
  error?: string;
  /** A run the service started on its own to retry this earlier run (Glue MaxRetries): no call was made. */
  retryOf?: string;
}

export interface StartCallFilter {
  service?: string;
  operation?: string;
  resource?: string;
  outcome?: StartCall['outcome'];
}

/** Operations whose calls are logged: the ones that start work. */
export const START_OPERATIONS = new Set([
  'glue:StartJobRun',
  'glue:StartCrawler',
  'emr-serverless:StartJobRun',
  'dms:StartReplicationTask',
  'appflow:StartFlow',
  'redshift-data:ExecuteStatement',
  'redshift-data:BatchExecuteStatement',
]);

/** Every Start* call made, persisted (one line each), so tests can prove a run was never started twice. */
export class StartCallLog {
  private seq: number;

  constructor(private readonly file: AppendLog<StartCall>) {
    this.seq = file.entries.at(-1)?.seq ?? 0;
  }

  record(call: Omit<StartCall, 'seq' | 'at'>): Promise<void> {
    this.seq += 1;
    return this.file.append({ seq: this.seq, at: new Date().toISOString(), ...call });
  }

  list(filter: StartCallFilter = {}): StartCall[] {
    return this.file.entries
      .filter(
        (c) =>
          (filter.service === undefined || c.service === filter.service) &&
          (filter.operation === undefined || c.operation === filter.operation) &&
          (filter.resource === undefined || c.resource === filter.resource) &&
          (filter.outcome === undefined || c.outcome === filter.outcome),
      )
      .map((c) => ({ ...c }));
  }
}

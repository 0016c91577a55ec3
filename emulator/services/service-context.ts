import type { Logger } from 'pino';
import type { EmulatorConfig } from '../emulator-config';
import type { CallGate, ServiceHandler } from '../http/aws-request';
import type { RunJobManifest } from '../jobs/job-runner-api';
import type { Lake } from '../lake';
import type { EmulatorClock } from '../runtime/clock';
import type { InFlightWork } from '../runtime/in-flight-work';
import type { Scheduler } from '../runtime/scheduler';
import type { RecordStore, RecordStoreOptions } from '../runtime/record-store';
import type { StateFile } from '../runtime/state-file';
import type { ScriptBook } from '../scripting/script-book';
import type { StartCallLog } from '../scripting/start-call-log';
import type { SourceSimulator } from '../sources/source-api';

/** What every emulated service gets from the emulator. */
export interface ServiceContext {
  config: EmulatorConfig;
  dataDir: string;
  lake: Lake;
  clock: EmulatorClock;
  scheduler: Scheduler;
  work: InFlightWork;
  script: ScriptBook;
  calls: StartCallLog;
  gate: CallGate;
  log: Logger;
  sources: SourceSimulator;
  runJobManifest: RunJobManifest;
  openState<T>(name: string, initial: () => T, persisted?: (data: T) => unknown): Promise<StateFile<T>>;
  /** Records kept one file each (job runs, statements): a change rewrites only its record. */
  openRecords<T>(name: string, options: RecordStoreOptions<T>): Promise<RecordStore<T>>;
}

export interface EmulatedService {
  /** The SigV4 signing name requests are routed by. */
  signingName: string;
  handler: ServiceHandler;
  /** Re-arms the timers and work of runs that were in flight when the emulator last stopped. */
  resume(): void;
  /** The scripted source clock moved: re-check runs that wait for source time (DMS stop positions). */
  sourceClockChanged?(): void;
  /** Settles the service's own resources (open transactions, database handles) after timers stopped. */
  close?(): Promise<void>;
}

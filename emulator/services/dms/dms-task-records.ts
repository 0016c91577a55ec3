/** The emulated DMS tasks' state as the state file keeps it, shared by the task logic and its API view. */
import type { StopPosition } from './dms-positions';

type DmsTaskStatus = 'ready' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** One start of a task: the window it replicates and how far it got. */
export interface DmsRunRecord {
  startType: string;
  fromMs: number;
  fullLoad: boolean;
  stop?: StopPosition;
  startedAt: number;
  /** End of `starting` / `stopping`, or the earliest end of `running`. */
  deadline: number;
  runMs: number;
  scriptedFailure?: string;
  /** waiting: the window's end is not reached yet; pending: the simulator is writing it; done: written. */
  work: 'waiting' | 'pending' | 'done';
  windowEndMs?: number;
  stopReason?: string;
  error?: string;
}

interface DmsTaskStats {
  fullLoadProgressPercent: number;
  tablesLoaded: number;
  tablesLoading: number;
  tablesQueued: number;
  tablesErrored: number;
  freshStartDate?: number;
  startDate?: number;
  stopDate?: number;
  fullLoadStartDate?: number;
  fullLoadFinishDate?: number;
}

export interface DmsTaskRecord {
  status: DmsTaskStatus;
  stopReason?: string;
  lastFailureMessage?: string;
  cdcStartPosition?: string;
  cdcStopPosition?: string;
  recoveryCheckpoint?: string;
  /** Window end of the last completed start: where the next one continues. */
  checkpointMs?: number;
  checkpointSequence: number;
  stats: DmsTaskStats;
  run?: DmsRunRecord;
}

export interface DmsTasksState {
  createdAt: number;
  tasks: Record<string, DmsTaskRecord>;
}

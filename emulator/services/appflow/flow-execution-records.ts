/** The emulated AppFlow executions as the state file keeps them, shared by the execution logic and DescribeFlow's view. */
type FlowExecutionStatus = 'InProgress' | 'Successful' | 'Error' | 'CancelStarted' | 'Canceled';

export interface FlowExecutionRecord {
  executionId: string;
  flowName: string;
  clientToken?: string;
  status: FlowExecutionStatus;
  startedAt: number;
  updatedAt: number;
  /** Earliest end of InProgress, or the end of CancelStarted. */
  deadline: number;
  /** The snapshot instant in source time. */
  asOfMs: number;
  scriptedFailure?: string;
  work: 'pending' | 'done';
  error?: string;
  recordsProcessed?: number;
  bytesWritten?: number;
}

export interface FlowExecutionsState {
  createdAt: number;
  executions: Record<string, FlowExecutionRecord[]>;
}

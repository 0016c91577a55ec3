import { z } from 'zod';
import { parseOrThrow } from '../../core/config-errors';
import type { ScriptBook } from './script-book';
import {
  type CallFaultRuleInput,
  callFaultRuleSchema,
  type DurationRule,
  durationRuleSchema,
  type EmulatorScript,
  type LatencyRule,
  latencyRuleSchema,
  type RunFailureRuleInput,
  runFailureRuleSchema,
} from './script-rules';
import type { StartCall, StartCallFilter, StartCallLog } from './start-call-log';

/** Scripting and inspection of a running emulator, in-process (tests) or over `/_emulator/` (HTTP). */
export interface EmulatorAdmin {
  /** The main phase of matching runs lasts `ms` (RUNNING, running, InProgress, an open transaction). */
  setDuration(rule: DurationRule): Promise<void>;
  /** The next `count` runs matching the rule fail with `message`. */
  failNextRuns(rule: RunFailureRuleInput): Promise<void>;
  /**
   * The next `count` calls of an operation answer with an AWS error (default: the service's throttling
   * error) or, with `response: 'drop'`, with a closed connection. With `phase: 'after-effect'` the call
   * takes effect first and only its answer is lost (default error: the service's HTTP 500).
   */
  failNextCalls(rule: CallFaultRuleInput): Promise<void>;
  /** The next `count` calls of an operation (e.g. `glue:GetJobRun`) are throttled. */
  throttleNextCalls(operation: string, count?: number): Promise<void>;
  /** Every call of an operation waits `ms` before it is answered. */
  setLatency(rule: LatencyRule): Promise<void>;
  /** Pins "now" of the simulated sources (DMS, AppFlow); null returns to the wall clock. */
  setSourceClock(instant: Date | string | null): Promise<void>;
  resetScript(): Promise<void>;
  script(): EmulatorScript;
  /** Every Start* call made (StartJobRun, StartFlow, ExecuteStatement, ...), oldest first. */
  startCalls(filter?: StartCallFilter): StartCall[];
}

export function createEmulatorAdmin(
  script: ScriptBook,
  calls: StartCallLog,
  onSourceClockChange: () => void,
): EmulatorAdmin {
  return {
    setDuration: async (rule) => script.addDuration(parseOrThrow(durationRuleSchema, rule, 'duration rule')),
    failNextRuns: async (rule) =>
      script.addRunFailure(parseOrThrow(runFailureRuleSchema, rule, 'run failure rule')),
    failNextCalls: async (rule) =>
      script.addCallFault(parseOrThrow(callFaultRuleSchema, rule, 'call fault rule')),
    throttleNextCalls: async (operation, count = 1) =>
      script.addCallFault(parseOrThrow(callFaultRuleSchema, { operation, count }, 'throttle rule')),
    setLatency: async (rule) => script.addLatency(parseOrThrow(latencyRuleSchema, rule, 'latency rule')),
    setSourceClock: async (instant) => {
      const value = instant instanceof Date ? instant.toISOString() : instant;
      await script.setSourceClock(
        parseOrThrow(z.iso.datetime({ offset: true }).nullable(), value, 'source clock'),
      );
      onSourceClockChange();
    },
    resetScript: async () => {
      await script.reset();
      onSourceClockChange();
    },
    script: () => script.current,
    startCalls: (filter) => calls.list(filter),
  };
}

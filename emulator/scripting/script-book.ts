import type { StateFile } from '../runtime/state-file';
import type {
  CallFaultRule,
  DurationRule,
  EmulatorScript,
  LatencyRule,
  RunFailureRule,
  ScriptableService,
} from './script-rules';

/**
 * The live script: rules added by config or the admin API, consumed as runs start and calls arrive,
 * persisted so a restarted emulator keeps the counts it had left.
 */
export class ScriptBook {
  constructor(private readonly file: StateFile<EmulatorScript>) {}

  get current(): EmulatorScript {
    return structuredClone(this.file.data);
  }

  /** The scripted main-phase duration of a run; `names` in priority order (e.g. stageId, job name). */
  durationFor(service: ScriptableService, names: string[]): number | undefined {
    return this.pick(this.file.data.durations, service, names)?.ms;
  }

  /** Consumes one scripted failure for a run, returning its message. */
  async takeRunFailure(service: ScriptableService, names: string[]): Promise<string | undefined> {
    const rule = this.pick(this.file.data.runFailures, service, names);
    if (!rule) return undefined;
    rule.count -= 1;
    if (rule.count <= 0) this.file.data.runFailures.splice(this.file.data.runFailures.indexOf(rule), 1);
    await this.file.save();
    return rule.message;
  }

  /** Consumes one scripted fault for a call, if any matches. */
  async takeCallFault(service: string, operation: string): Promise<CallFaultRule | undefined> {
    const faults = this.file.data.callFaults;
    const rule = mostSpecific(faults, service, operation);
    if (!rule) return undefined;
    const taken = { ...rule };
    rule.count -= 1;
    if (rule.count <= 0) faults.splice(faults.indexOf(rule), 1);
    await this.file.save();
    return taken;
  }

  latencyFor(service: string, operation: string): number {
    return mostSpecific(this.file.data.latencies, service, operation)?.ms ?? 0;
  }

  sourceClock(): string | null {
    return this.file.data.sourceClock;
  }

  async addDuration(rule: DurationRule): Promise<void> {
    const rules = this.file.data.durations.filter((r) => r.service !== rule.service || r.name !== rule.name);
    this.file.data.durations = [...rules, rule];
    await this.file.save();
  }

  async addRunFailure(rule: RunFailureRule): Promise<void> {
    this.file.data.runFailures.push(rule);
    await this.file.save();
  }

  async addCallFault(rule: CallFaultRule): Promise<void> {
    this.file.data.callFaults.push(rule);
    await this.file.save();
  }

  async addLatency(rule: LatencyRule): Promise<void> {
    this.file.data.latencies = [
      ...this.file.data.latencies.filter((r) => r.operation !== rule.operation),
      rule,
    ];
    await this.file.save();
  }

  async setSourceClock(instant: string | null): Promise<void> {
    this.file.data.sourceClock = instant;
    await this.file.save();
  }

  async reset(): Promise<void> {
    Object.assign(this.file.data, {
      durations: [],
      runFailures: [],
      callFaults: [],
      latencies: [],
      sourceClock: null,
    });
    await this.file.save();
  }

  /** The rule for the first name that has one, then the service's `*` rule. */
  private pick<R extends { service: ScriptableService; name: string }>(
    rules: R[],
    service: ScriptableService,
    names: string[],
  ): R | undefined {
    for (const name of [...names, '*']) {
      const rule = rules.find((r) => r.service === service && r.name === name);
      if (rule) return rule;
    }
    return undefined;
  }
}

/** `service:Operation` beats `service:*` beats `*`. */
function mostSpecific<R extends { operation: string }>(
  rules: R[],
  service: string,
  operation: string,
): R | undefined {
  for (const pattern of [`${service}:${operation}`, `${service}:*`, '*']) {
    const rule = rules.find((r) => r.operation === pattern);
    if (rule) return rule;
  }
  return undefined;
}

import type { InFlightWork } from './in-flight-work';

/** setTimeout cannot wait longer than this; longer waits re-arm. */
const MAX_TIMER_MS = 2_147_000_000;

/**
 * Keyed timers for run state machines. A key holds at most one timer (re-scheduling replaces it), the
 * task runs as tracked background work, and after stop() nothing new is scheduled: a restarted emulator
 * re-derives every timer from the persisted deadlines.
 */
export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly work: InFlightWork,
    private readonly now: () => number,
  ) {}

  at(key: string, atMs: number, task: () => Promise<void> | void): void {
    if (this.stopped) return;
    this.cancel(key);
    const delay = Math.max(0, atMs - this.now());
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        // setTimeout may fire a millisecond early (and cannot wait past MAX_TIMER_MS): re-arm until due
        if (this.now() < atMs) this.at(key, atMs, task);
        else this.work.start(async () => task());
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    this.timers.set(key, timer);
  }

  cancel(key: string): void {
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer);
    this.timers.delete(key);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

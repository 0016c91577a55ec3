/**
 * Two clocks: the emulator's own (wall time: run timestamps, durations) and the simulated sources'
 * (what "now" means to a DMS task without a stop position or an AppFlow snapshot), which tests can pin.
 */
export interface EmulatorClock {
  now(): number;
  sourceNow(): number;
}

export function createClock(sourceClock: () => string | null): EmulatorClock {
  return {
    now: () => Date.now(),
    sourceNow: () => {
      const pinned = sourceClock();
      return pinned === null ? Date.now() : Date.parse(pinned);
    },
  };
}

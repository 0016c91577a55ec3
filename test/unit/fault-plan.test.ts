/** The chaos tier's fault plan is a pure function of the seed, so a printed seed replays exactly. */
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, faultPlan } from '../support/chaos/fault-plan';

const HORIZON = 42;

describe('faultPlan', () => {
  it('gives the same plan for the same seed, and another for another seed', () => {
    expect(faultPlan(7, { horizon: HORIZON })).toEqual(faultPlan(7, { horizon: HORIZON }));
    expect(faultPlan(7, { horizon: HORIZON }).faults).not.toEqual(faultPlan(8, { horizon: HORIZON }).faults);
  });

  it('holds only the kinds asked for (the enabled ones by default), each at least once', () => {
    expect(faultPlan(1, { horizon: HORIZON }).kinds).toEqual([...FAULT_KINDS]);
    for (let seed = 0; seed < 50; seed++) {
      const plan = faultPlan(seed, { kinds: FAULT_KINDS, horizon: HORIZON });
      expect(new Set(plan.faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
      const only = faultPlan(seed, { kinds: ['throttle-burst'], horizon: HORIZON });
      expect(only.faults.every((f) => f.kind === 'throttle-burst')).toBe(true);
    }
  });

  it('fires every fault within 70% of the horizon, in order, with the kill and the restart 5 starts apart', () => {
    for (let seed = 0; seed < 200; seed++) {
      const { faults } = faultPlan(seed, { kinds: FAULT_KINDS, horizon: HORIZON });
      const at = faults.map((f) => f.atStart);
      expect(at).toEqual([...at].sort((a, b) => a - b));
      expect(Math.min(...at)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...at)).toBeLessThanOrEqual(Math.floor(HORIZON * 0.7));
      const kill = faults.find((f) => f.kind === 'worker-sigkill')!;
      const restart = faults.find((f) => f.kind === 'server-restart')!;
      expect(Math.abs(kill.atStart - restart.atStart), `seed ${seed}`).toBeGreaterThanOrEqual(5);
    }
  });

  it('enabling a kind leaves the faults of the other kinds where they were', () => {
    const before = faultPlan(3, { kinds: ['throttle-burst'], horizon: HORIZON });
    const after = faultPlan(3, { kinds: ['throttle-burst', 'after-effect-500'], horizon: HORIZON });
    expect(after.faults.filter((f) => f.kind === 'throttle-burst')).toEqual(before.faults);
  });
});

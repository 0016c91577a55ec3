import { afterEach, describe, expect, it, vi } from 'vitest';
import { propertyRuns } from '../support/property-runs';

const FULL = { runs: 10_000, group: 2500 };

describe('propertyRuns', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('checks the full count outside the fast loop', () => {
    vi.stubEnv('MEDALLION_TEST_FAST', '');
    expect(propertyRuns(FULL, 'TEST_RUNS', 'TEST_GROUP')).toEqual({
      runs: 10_000,
      group: 2500,
      label: '10000 random change histories',
    });
  });

  it('checks a sample in several groups in the fast loop, and says so in the label', () => {
    vi.stubEnv('MEDALLION_TEST_FAST', '1');
    const { runs, group, label } = propertyRuns(FULL, 'TEST_RUNS', 'TEST_GROUP');
    expect(runs).toBeLessThan(FULL.runs);
    expect(Math.ceil(runs / group)).toBeGreaterThan(1);
    expect(label).toContain('MEDALLION_TEST_FAST');
    expect(label).toContain('the full run checks 10000');
  });

  it('lets the named variables override either', () => {
    vi.stubEnv('MEDALLION_TEST_FAST', '1');
    vi.stubEnv('TEST_RUNS', '40');
    vi.stubEnv('TEST_GROUP', '100');
    expect(propertyRuns(FULL, 'TEST_RUNS', 'TEST_GROUP')).toEqual({
      runs: 40,
      group: 40,
      label: '40 random change histories',
    });
  });

  it('names the variable of a count that is not a positive integer', () => {
    vi.stubEnv('TEST_RUNS', '1e3x');
    expect(() => propertyRuns(FULL, 'TEST_RUNS', 'TEST_GROUP')).toThrow(
      'TEST_RUNS must be a positive integer (a count of histories), got "1e3x"',
    );
  });
});

import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/**
 * A seeded random stream. Every (seed, day, stream) triple gets its own generator, so the changes of
 * one day never depend on how many random numbers an earlier day or another stream consumed.
 */
export class SeededRandom {
  private readonly rng: RandomGenerator;

  constructor(...seedParts: number[]) {
    this.rng = xoroshiro128plus(mixSeed(seedParts));
  }

  /** Integer in [from, to], both included. */
  int(from: number, to: number): number {
    return uniformInt(this.rng, from, to);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return uniformFloat64(this.rng) < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('SeededRandom.pick: no items to pick from');
    return items[this.int(0, items.length - 1)]!;
  }

  /**
   * A count with expected value `mean`: uniform in [(1 - spread) * mean, (1 + spread) * mean],
   * stochastically rounded. Two draws whatever the spread.
   */
  countAround(mean: number, spread = 0.5): number {
    const exact = mean * (1 - spread + 2 * spread * uniformFloat64(this.rng));
    const whole = Math.floor(exact);
    return whole + (this.chance(exact - whole) ? 1 : 0);
  }
}

/**
 * Folds the parts (safe integers, e.g. seed, day index, stream id) into one 32-bit seed with the
 * murmur3 finaliser, so that neighbouring days get unrelated generators.
 */
function mixSeed(parts: readonly number[]): number {
  let hash = 0x9e3779b9;
  for (const part of parts) {
    if (!Number.isSafeInteger(part)) throw new Error(`seed parts must be safe integers, got ${part}`);
    for (const word of [part % 0x100000000, Math.floor(part / 0x100000000)]) {
      hash = Math.imul(hash ^ word, 0x85ebca6b);
      hash ^= hash >>> 13;
      hash = Math.imul(hash, 0xc2b2ae35);
      hash ^= hash >>> 16;
    }
  }
  return hash | 0;
}

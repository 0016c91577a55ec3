import type { SeededRandom } from './seeded-random';

/**
 * A map whose keys can be drawn at random in O(1) with a deterministic outcome: the key order depends
 * only on the sequence of inserts and deletes (deletes swap the last key into the freed slot).
 */
export class KeyedPool<K, V> {
  private readonly keys: K[] = [];
  private readonly slots = new Map<K, { index: number; value: V }>();

  get size(): number {
    return this.keys.length;
  }

  get(key: K): V | undefined {
    return this.slots.get(key)?.value;
  }

  set(key: K, value: V): void {
    const slot = this.slots.get(key);
    if (slot) {
      slot.value = value;
      return;
    }
    this.slots.set(key, { index: this.keys.length, value });
    this.keys.push(key);
  }

  delete(key: K): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    const last = this.keys.pop()!;
    if (last !== key) {
      this.keys[slot.index] = last;
      this.slots.get(last)!.index = slot.index;
    }
    this.slots.delete(key);
  }

  /** A random key, or undefined when the pool is empty. */
  pickKey(random: SeededRandom): K | undefined {
    return this.keys.length === 0 ? undefined : random.pick(this.keys);
  }
}

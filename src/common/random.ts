/**
 * One small seeded random generator (mulberry32) for every tool that needs
 * reproducible data: the demo's workload, the benchmark's data sets and the
 * crash test's commits.
 *
 * `Math.random` cannot be seeded; these tools want the same data for the same
 * seed so that a run can be repeated and every implementation in a benchmark
 * sees identical input. The seed may be several integers (a seed, a stream, an
 * iteration...), mixed into one 32-bit state. Statistical quality is far
 * beyond what synthetic workloads need. Not for anything secret.
 *
 * @module
 */

/** Seeded pseudo-random numbers. */
export class SeededRandom {
  #state: number;

  /** A generator whose stream depends on every number of `seed` (each up to 53 bits). */
  constructor(...seed: readonly number[]) {
    this.#state = mix(seed);
  }

  /** The next 32 random bits, as an unsigned integer. */
  uint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.uint32() / 4_294_967_296;
  }

  /** An integer in [0, bound). */
  below(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** An integer in [low, high]. */
  between(low: number, high: number): number {
    return low + this.below(high - low + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }

  /** `size` random bytes, in a new array. */
  bytes(size: number): Uint8Array {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 4) {
      const word = this.uint32();
      for (let k = 0; k < 4 && i + k < size; k++) bytes[i + k] = (word >>> (8 * k)) & 0xff;
    }
    return bytes;
  }

  /** `length` lower-case hex digits. */
  hex(length: number): string {
    let out = '';
    while (out.length < length) out += this.uint32().toString(16).padStart(8, '0');
    return out.slice(0, length);
  }
}

/** A 32-bit hash of a list of numbers (each taken as up to 53 bits). */
function mix(values: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const value of values) {
    const low = value >>> 0;
    const high = Math.floor(value / 4_294_967_296) >>> 0;
    for (const word of [low, high]) {
      h = Math.imul(h ^ word, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h | 0;
}

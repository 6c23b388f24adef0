/**
 * Time, injected.
 *
 * Nothing in multistore reads the wall clock directly: the drop worker's flush
 * interval, timers and benchmarks all ask a {@link Clock}. Production code uses
 * {@link SystemClock} (monotonic, from `process.hrtime.bigint()`); tests use
 * {@link MockClock} and move time by hand, so a test of "flush after 50 ms"
 * runs in no time and never sleeps.
 *
 * Time is held in nanoseconds as a `bigint` so that a mock clock advanced by
 * tiny steps never accumulates floating-point error; milliseconds are derived.
 *
 * ```
 *   clock.instant() ──► Instant(t0)
 *   ...time passes (really, or by mock.advanceMillis)...
 *   instant.elapsed()  ==  clock.nowMillis() - t0   (in ms)
 * ```
 *
 * @module
 */

import { InvalidInputError } from '../common/errors.js';

const NANOS_PER_MILLI = 1_000_000n;

/** A source of monotonic time. */
export interface Clock {
  /** Current time in nanoseconds since an arbitrary origin. */
  nowNanos(): bigint;
  /** Current time in milliseconds (may be fractional). */
  nowMillis(): number;
  /** A point in time on this clock, to measure elapsed time from. */
  instant(): Instant;
  /**
   * Subscribe to changes of a clock that moves by hand (a mock clock); the
   * runtime uses it to fire timers when mock time moves. Absent on real clocks.
   */
  onAdvance?(listener: () => void): () => void;
}

/** A point in time read from a {@link Clock}. */
export class Instant {
  readonly #clock: Clock;
  /** The clock reading, in nanoseconds. */
  readonly nanos: bigint;

  constructor(clock: Clock, nanos: bigint) {
    this.#clock = clock;
    this.nanos = nanos;
  }

  /** Milliseconds elapsed since this instant, measured on its own clock. */
  elapsed(): number {
    return nanosToMillis(this.#clock.nowNanos() - this.nanos);
  }

  /** Nanoseconds elapsed since this instant, measured on its own clock. */
  elapsedNanos(): bigint {
    return this.#clock.nowNanos() - this.nanos;
  }
}

function nanosToMillis(nanos: bigint): number {
  const whole = nanos / NANOS_PER_MILLI;
  const rest = nanos % NANOS_PER_MILLI;
  return Number(whole) + Number(rest) / 1e6;
}

function millisToNanos(millis: number, what: string): bigint {
  if (!Number.isFinite(millis)) {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      `${what} must be a finite number of milliseconds`,
    );
  }
  return BigInt(Math.round(millis * 1e6));
}

/** The real, monotonic clock. */
export class SystemClock implements Clock {
  nowNanos(): bigint {
    return process.hrtime.bigint();
  }
  nowMillis(): number {
    // Same origin as nowNanos(), so the two readings can be mixed.
    return nanosToMillis(this.nowNanos());
  }
  instant(): Instant {
    return new Instant(this, this.nowNanos());
  }
}

/** The default real clock. */
export const systemClock: Clock = new SystemClock();

/** A clock that only moves when told to. Starts at 0. */
export class MockClock implements Clock {
  #nanos = 0n;
  readonly #listeners = new Set<() => void>();

  nowNanos(): bigint {
    return this.#nanos;
  }
  nowMillis(): number {
    return nanosToMillis(this.#nanos);
  }
  instant(): Instant {
    return new Instant(this, this.#nanos);
  }

  /** Set the time to `millis` (it may not go backwards: the clock is monotonic). */
  setMillis(millis: number): void {
    const next = millisToNanos(millis, 'setMillis');
    if (next < this.#nanos) {
      throw new InvalidInputError('INVALID_ARGUMENT', 'a MockClock cannot go backwards');
    }
    this.#nanos = next;
    this.#notify();
  }

  /** Move time forward by `millis` (>= 0, fractions allowed down to 1 ns). */
  advanceMillis(millis: number): void {
    const step = millisToNanos(millis, 'advanceMillis');
    if (step < 0n)
      throw new InvalidInputError('INVALID_ARGUMENT', 'a MockClock cannot go backwards');
    this.#nanos += step;
    this.#notify();
  }

  /** Move time forward by `nanos` nanoseconds. */
  advanceNanos(nanos: bigint): void {
    if (nanos < 0n)
      throw new InvalidInputError('INVALID_ARGUMENT', 'a MockClock cannot go backwards');
    this.#nanos += nanos;
    this.#notify();
  }

  onAdvance(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

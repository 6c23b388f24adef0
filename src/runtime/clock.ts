/**
 * Time, injected.
 *
 * Nothing in multistore reads the wall clock directly: the drop worker's flush
 * interval, timers and benchmarks all ask a {@link Clock}. Production code uses
 * {@link SystemClock} (monotonic, from `performance.now()`, which Node and
 * browsers both have); tests use {@link MockClock} and move time by hand, so a
 * test of "flush after 50 ms" runs in no time and never sleeps.
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
 * A clock that moves by hand also wakes the runtime's timers: the runtime
 * arms at most one wake-up per timer queue on it (`wakeAt`, at its earliest
 * deadline) and moving the clock past it fires it. So `MockClock.pendingTimers`
 * shows whether anything is scheduled at all: an idle store shows 0.
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
   * For a clock that moves by hand (a mock clock): call `wake` once, when the
   * clock is moved to `atNanos` or later (never inside this call); returns a
   * function that cancels it. The runtime arms its timers this way. Absent on
   * real clocks, whose time moves by itself (the runtime uses `setTimeout`).
   */
  wakeAt?(atNanos: bigint, wake: () => void): () => void;
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

/** The real, monotonic clock (`performance.now()`, microsecond resolution or better). */
export class SystemClock implements Clock {
  nowNanos(): bigint {
    return BigInt(Math.round(performance.now() * 1e6));
  }
  nowMillis(): number {
    // Same origin as nowNanos() (both are performance.now()), so the two readings can be mixed.
    return performance.now();
  }
  instant(): Instant {
    return new Instant(this, this.nowNanos());
  }
}

/** The default real clock. */
export const systemClock: Clock = new SystemClock();

/** A wake-up armed on a {@link MockClock}. */
interface WakeUp {
  readonly at: bigint;
  readonly wake: () => void;
}

/** A clock that only moves when told to. Starts at 0. */
export class MockClock implements Clock {
  #nanos = 0n;
  readonly #wakeUps = new Set<WakeUp>();

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
    this.#wakeDue();
  }

  /** Move time forward by `millis` (>= 0, fractions allowed down to 1 ns). */
  advanceMillis(millis: number): void {
    this.advanceNanos(millisToNanos(millis, 'advanceMillis'));
  }

  /** Move time forward by `nanos` nanoseconds. */
  advanceNanos(nanos: bigint): void {
    if (nanos < 0n)
      throw new InvalidInputError('INVALID_ARGUMENT', 'a MockClock cannot go backwards');
    this.#nanos += nanos;
    this.#wakeDue();
  }

  wakeAt(atNanos: bigint, wake: () => void): () => void {
    const wakeUp: WakeUp = { at: atNanos, wake };
    this.#wakeUps.add(wakeUp);
    return () => {
      this.#wakeUps.delete(wakeUp);
    };
  }

  /** How many timer wake-ups wait for this clock to move (0: nothing is scheduled on it). */
  get pendingTimers(): number {
    return this.#wakeUps.size;
  }

  /** Fire the wake-ups due now, earliest first; ones armed meanwhile wait for the next move. */
  #wakeDue(): void {
    const due = [...this.#wakeUps].filter((wakeUp) => wakeUp.at <= this.#nanos);
    due.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    for (const wakeUp of due) {
      if (this.#wakeUps.delete(wakeUp)) wakeUp.wake();
    }
  }
}

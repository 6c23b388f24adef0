/**
 * Timers whose deadlines are measured on the system's {@link Clock}.
 *
 * An actor's `scheduleRepeat` / `scheduleOnce` land here. Deadlines are clock
 * readings in nanoseconds, so the same timer runs on real time or on a
 * {@link MockClock} that a test moves by hand. The queue keeps ONE alarm
 * armed, at its earliest deadline, and none when it holds no timer (so an
 * idle system schedules nothing). What the alarm is depends on the clock and
 * the mode, and is chosen once at construction:
 *
 * ```
 *   clock has wakeAt (MockClock)   any mode     a wake-up on the clock: fires when
 *                                               the clock is moved past it
 *   real clock                     event-loop   a setTimeout (unref'ed in Node)
 *   real clock                     inline       none: timers fire only when the
 *                                               host calls fireDue() (system.runTimers())
 * ```
 *
 * `fireDue()` may always be called by hand as well: it fires whatever is due on
 * the clock now. Real timeouts are unref'ed where the host allows it (Node), so
 * a pending timer never keeps a Node process alive.
 *
 * Choices worth knowing:
 * - One due check fires each due timer at most once. A repeat timer that missed
 *   several periods (the mock clock jumped, or the process was busy) fires once
 *   and its next deadline is the first period boundary strictly after now,
 *   counted from its first deadline: no flood of catch-up messages, no drift.
 * - A check fires the timers that were due when it started, ordered by
 *   deadline (then creation); timers created while it runs wait for the next
 *   check, so a callback that schedules a zero-delay timer cannot loop forever.
 * - Timers are kept in a set and a check scans it. The runtime has few timers
 *   (at most one per worker), so the scan is cheaper to read than a heap and
 *   makes `cancel` O(1).
 *
 * @module
 */

import { InvalidInputError } from '../common/errors.js';
import type { ActorMode, TimerHandle } from './actor.js';
import type { Clock } from './clock.js';

/** Node clamps longer timeouts to 1 ms; we wake up early and re-arm instead. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Arms a one-shot call of `fire` at clock reading `atNanos`; returns its cancel. */
type Alarm = (atNanos: bigint, fire: () => void) => () => void;

/** The alarm of a clock and mode (see the module table); `undefined`: driven by hand. */
function alarmFor(clock: Clock, mode: ActorMode): Alarm | undefined {
  const { wakeAt } = clock;
  if (wakeAt !== undefined) return (atNanos, fire) => wakeAt.call(clock, atNanos, fire);
  if (mode === 'inline') return undefined;
  return (atNanos, fire) => {
    const waitNanos = atNanos - clock.nowNanos();
    const waitMs = waitNanos <= 0n ? 0 : Number((waitNanos + 999_999n) / 1_000_000n);
    const timeout = setTimeout(fire, Math.min(waitMs, MAX_TIMEOUT_MS));
    (timeout as { unref?: () => void }).unref?.();
    return () => clearTimeout(timeout);
  };
}

/** One scheduled callback. */
class Timer implements TimerHandle {
  readonly seq: number;
  readonly owner: object;
  readonly period: bigint | undefined;
  readonly fire: () => void;
  deadline: bigint;
  #cancelled = false;
  readonly #onCancel: (timer: Timer) => void;

  constructor(
    seq: number,
    owner: object,
    deadline: bigint,
    period: bigint | undefined,
    fire: () => void,
    onCancel: (timer: Timer) => void,
  ) {
    this.seq = seq;
    this.owner = owner;
    this.deadline = deadline;
    this.period = period;
    this.fire = fire;
    this.#onCancel = onCancel;
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#onCancel(this);
  }
}

/** The timers of one actor system. */
export class TimerQueue {
  readonly #clock: Clock;
  readonly #live = new Set<Timer>();
  readonly #alarm: Alarm | undefined;
  #seq = 0;
  #closed = false;
  #cancelAlarm: (() => void) | undefined;
  #armedFor: bigint | undefined;

  constructor(clock: Clock, mode: ActorMode) {
    this.#clock = clock;
    this.#alarm = alarmFor(clock, mode);
  }

  /** Call `fire` once, `delayMs` (>= 0) of clock time from now, on behalf of `owner`. */
  scheduleOnce(owner: object, delayMs: number, fire: () => void): TimerHandle {
    const delay = toNanos(delayMs, 'scheduleOnce delay', false);
    return this.#add(owner, delay, undefined, fire);
  }

  /** Call `fire` every `intervalMs` (> 0) of clock time, starting one interval from now. */
  scheduleRepeat(owner: object, intervalMs: number, fire: () => void): TimerHandle {
    const period = toNanos(intervalMs, 'scheduleRepeat interval', true);
    return this.#add(owner, period, period, fire);
  }

  /** Cancel every timer scheduled on behalf of `owner` (an actor that stopped). */
  cancelOwnedBy(owner: object): void {
    for (const timer of [...this.#live]) if (timer.owner === owner) timer.cancel();
  }

  /** Fire every timer that is due on the clock now (each at most once). */
  fireDue(): void {
    if (this.#closed) return;
    const now = this.#clock.nowNanos();
    const due = [...this.#live].filter((timer) => timer.deadline <= now);
    due.sort((a, b) => compareBigint(a.deadline, b.deadline) || a.seq - b.seq);
    for (const timer of due) {
      if (timer.cancelled) continue; // cancelled by an earlier callback of this check
      if (timer.period === undefined) this.#live.delete(timer);
      else timer.deadline = nextDeadline(timer.deadline, timer.period, now);
      timer.fire();
    }
    this.#arm();
  }

  /** Cancel every timer and its alarm; later schedules come back cancelled. */
  close(): void {
    this.#closed = true;
    for (const timer of [...this.#live]) timer.cancel();
    this.#disarm();
  }

  /** How many timers are scheduled and not cancelled. */
  get size(): number {
    return this.#live.size;
  }

  #add(owner: object, delay: bigint, period: bigint | undefined, fire: () => void): TimerHandle {
    const deadline = this.#clock.nowNanos() + delay;
    const forget = (t: Timer) => {
      this.#live.delete(t);
      this.#arm();
    };
    const timer = new Timer(this.#seq++, owner, deadline, period, fire, forget);
    if (this.#closed) timer.cancel();
    else {
      this.#live.add(timer);
      this.#arm();
    }
    return timer;
  }

  /** Keep one alarm armed at the earliest deadline, and none when no timer is left. */
  #arm(): void {
    if (this.#alarm === undefined) return;
    let earliest: bigint | undefined;
    for (const timer of this.#live) {
      if (earliest === undefined || timer.deadline < earliest) earliest = timer.deadline;
    }
    if (earliest === this.#armedFor) return;
    this.#disarm();
    if (earliest === undefined) return;
    this.#armedFor = earliest;
    this.#cancelAlarm = this.#alarm(earliest, () => {
      this.#cancelAlarm = undefined;
      this.#armedFor = undefined;
      this.fireDue();
    });
  }

  #disarm(): void {
    this.#cancelAlarm?.();
    this.#cancelAlarm = undefined;
    this.#armedFor = undefined;
  }
}

/** The first deadline `first + k * period` strictly after `now` (k >= 1). */
function nextDeadline(first: bigint, period: bigint, now: bigint): bigint {
  const next = first + period;
  if (next > now) return next;
  return first + period * ((now - first) / period + 1n);
}

function toNanos(millis: number, what: string, positive: boolean): bigint {
  const valid = typeof millis === 'number' && Number.isFinite(millis);
  if (!valid || millis < 0 || (positive && millis <= 0)) {
    const bound = positive ? 'a positive' : 'a non-negative';
    throw new InvalidInputError('INVALID_ARGUMENT', `${what} must be ${bound} number of ms`);
  }
  const nanos = BigInt(Math.round(millis * 1e6));
  // A positive interval below 1 ns would round to 0 and fire on every check.
  return positive && nanos === 0n ? 1n : nanos;
}

function compareBigint(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

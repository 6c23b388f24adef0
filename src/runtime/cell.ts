/**
 * One running actor: its mailbox, its state and the directive loop.
 *
 * A cell is what the scheduler runs. Its life:
 *
 * ```
 *   spawn ─► init ─► waiting ◄──────────────┐
 *                      │ send               │ mailbox empty (idle) / park
 *                      ▼                    │
 *                   queued ─► slice: handle, handle, ... ──┤ yield / budget used: queued again
 *                                                          └ stop, or cancelled and empty ─► stopped
 * ```
 *
 * Directive details the contract leaves open, decided here:
 * - `park` stops the slice even if messages are left; the next send (even one
 *   refused as `full`, or one waiting for room, so a parked actor's full
 *   mailbox cannot lock its senders out forever) wakes the actor, which then
 *   handles the old messages first. A
 *   message that arrived while the parking handler ran counts as "new": the
 *   actor does not park then, so no wake-up is lost.
 * - `idle` is called when the mailbox is found empty after a `continue` or
 *   `yield` (the actor wanted more); not after `park` (it asked to sleep) and
 *   not after `stop`. It returns `stop` to stop; anything else means wait for
 *   the next message. Messages it sends to itself are handled right away.
 * - Senders waiting for room (`sendWhenRoom`) are let in, in order, each time
 *   a message is taken out of a full mailbox.
 * - `stop` discards what is left in the mailbox (logged as a warning, since
 *   those senders were told `ok`); later sends, and senders still waiting for
 *   room, get `closed`.
 * - Once cancelled (system shutdown) the actor handles what is queued, ignoring
 *   `park`, and stops when its mailbox is empty; `postStop` runs then.
 * - An exception from `init`, `handle`, `idle`, `postStop` or a timer's
 *   message factory is logged as `actor handler failed` with the actor's name
 *   and the phase, and never reaches the sender or the event loop. After a
 *   failed `handle` the actor goes on with the next message; after a failed
 *   `init` it has no state to go on with, so it stops at once (without
 *   `postStop`).
 *
 * @module
 */

import type { Logger } from '../common/logger.js';
import type { Actor, ActorContext, ActorRef, Directive, SendResult, TimerHandle } from './actor.js';
import type { Clock } from './clock.js';
import { Fifo } from './fifo.js';
import type { Runnable, Scheduler, SliceOutcome } from './scheduler.js';
import type { TimerQueue } from './timers.js';

/** What a cell needs from its actor system. */
export interface CellHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  readonly timers: TimerQueue;
  /** Called once when the cell has stopped and its `postStop` ran. */
  cellStopped(cell: ActorCell<unknown, unknown>): void;
}

const SENT: SendResult<never> = Object.freeze({ ok: true });

/** A sender waiting for room in a full mailbox. */
interface WaitingSender<M> {
  readonly message: M;
  readonly resolve: (result: SendResult<M>) => void;
}

/** What one handled message tells the slice loop. */
type Step = 'next' | 'end-slice' | 'yield';

/** A running actor; see the module comment. */
export class ActorCell<S, M> implements Runnable {
  /** Owned by the scheduler: true while on its run queue. */
  queued = false;
  readonly name: string;
  readonly ref: ActorRef<M>;
  readonly stopped: Promise<void>;
  readonly #actor: Actor<S, M>;
  readonly #host: CellHost;
  readonly #capacity: number;
  readonly #mailbox = new Fifo<M>();
  readonly #waiting = new Fifo<WaitingSender<M>>();
  readonly #ctx: ActorContext<M>;
  readonly #resolveStopped: () => void;
  #state: S | undefined;
  #started = false;
  #alive = true;
  #running = false;
  #cancelled = false;
  #idleOwed = false;
  #arrivals = 0;

  constructor(name: string, actor: Actor<S, M>, host: CellHost, capacity: number) {
    this.name = name;
    this.#actor = actor;
    this.#host = host;
    this.#capacity = capacity;
    let resolve: () => void = () => {};
    this.stopped = new Promise<void>((r) => {
      resolve = r;
    });
    this.#resolveStopped = resolve;
    this.ref = new CellRef(this);
    this.#ctx = this.#makeContext();
  }

  /** Run `init`; a cell that fails to initialise stops at once. */
  start(): void {
    this.#running = true;
    try {
      this.#state = this.#actor.init(this.#ctx);
      this.#started = true;
    } catch (error) {
      this.#logFailure('init', error);
    } finally {
      this.#running = false;
    }
    if (!this.#started) this.#stop();
    else if (!this.#mailbox.isEmpty() || this.#cancelled) this.#host.scheduler.wake(this);
  }

  isAlive(): boolean {
    return this.#alive;
  }

  send(message: M): SendResult<M> {
    if (!this.#alive) return { ok: false, reason: 'closed', message };
    if (this.#mailbox.length >= this.#capacity) {
      this.#wake();
      return { ok: false, reason: 'full', message };
    }
    this.#mailbox.push(message);
    this.#arrivals++;
    this.#wake();
    return SENT;
  }

  sendWhenRoom(message: M): Promise<SendResult<M>> {
    if (!this.#alive || (this.#waiting.isEmpty() && this.#mailbox.length < this.#capacity)) {
      return Promise.resolve(this.send(message));
    }
    return new Promise((resolve) => {
      this.#waiting.push({ message, resolve });
      this.#wake();
    });
  }

  /** System shutdown: finish what is queued, then stop. */
  cancel(): void {
    if (!this.#alive || this.#cancelled) return;
    this.#cancelled = true;
    this.#wake();
  }

  runSlice(budget: number): { handled: number; outcome: SliceOutcome } {
    this.#running = true;
    let handled = 0;
    try {
      while (this.#alive) {
        if (this.#mailbox.isEmpty()) {
          if (this.#whenEmpty() === 'wait') break;
          continue;
        }
        if (handled >= budget) return { handled, outcome: 'more' };
        handled++;
        const step = this.#handleNext();
        if (step === 'yield') return { handled, outcome: 'more' };
        if (step === 'end-slice') break;
      }
      return { handled, outcome: 'done' };
    } finally {
      this.#running = false;
    }
  }

  #wake(): void {
    if (!this.#running) this.#host.scheduler.wake(this);
  }

  #handleNext(): Step {
    const message = this.#mailbox.shift() as M;
    this.#letWaitingIn();
    const arrivalsBefore = this.#arrivals;
    const directive = this.#invoke('handle', () =>
      this.#actor.handle(this.#state as S, message, this.#ctx),
    );
    return this.#apply(directive ?? 'continue', arrivalsBefore);
  }

  /** Move waiting senders into the mailbox while it has room (the drain is what wakes them). */
  #letWaitingIn(): void {
    while (this.#mailbox.length < this.#capacity) {
      const sender = this.#waiting.shift();
      if (sender === undefined) return;
      this.#mailbox.push(sender.message);
      this.#arrivals++;
      sender.resolve(SENT);
    }
  }

  #apply(directive: Directive, arrivalsBefore: number): Step {
    switch (directive) {
      case 'stop':
        this.#stop();
        return 'end-slice';
      case 'park':
        // Parked = simply not queued: the next send wakes it like any waiting actor.
        if (this.#cancelled || this.#arrivals !== arrivalsBefore) return 'next';
        return 'end-slice';
      case 'yield':
        this.#idleOwed = true;
        return 'yield';
      default:
        this.#idleOwed = true;
        return 'next';
    }
  }

  /** The mailbox is empty: stop if cancelled, else maybe call `idle`. */
  #whenEmpty(): 'wait' | 'again' {
    if (this.#cancelled) {
      this.#stop();
      return 'wait';
    }
    if (!this.#idleOwed) return 'wait';
    this.#idleOwed = false;
    const directive = this.#invoke('idle', () => this.#actor.idle?.(this.#state as S, this.#ctx));
    if (directive === 'stop') {
      this.#stop();
      return 'wait';
    }
    return this.#mailbox.isEmpty() && !this.#cancelled ? 'wait' : 'again';
  }

  #stop(): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#host.timers.cancelOwnedBy(this);
    const dropped = this.#mailbox.clear();
    if (dropped > 0) {
      this.#log('warn', 'actor stopped with unhandled messages', { actor: this.name, dropped });
    }
    for (let sender = this.#waiting.shift(); sender !== undefined; sender = this.#waiting.shift()) {
      sender.resolve({ ok: false, reason: 'closed', message: sender.message });
    }
    if (this.#started) this.#invoke('postStop', () => this.#actor.postStop?.(this.#state as S));
    this.#resolveStopped();
    this.#host.cellStopped(this as ActorCell<unknown, unknown>);
  }

  #makeContext(): ActorContext<M> {
    const timers = this.#host.timers;
    return Object.freeze({
      self: this.ref,
      clock: this.#host.clock,
      isCancelled: () => this.#cancelled,
      scheduleRepeat: (intervalMs: number, message: M): TimerHandle =>
        timers.scheduleRepeat(this, intervalMs, () => this.#deliverTimed(() => message)),
      scheduleOnce: (delayMs: number, factory: () => M): TimerHandle =>
        timers.scheduleOnce(this, delayMs, () => this.#deliverTimed(factory)),
    });
  }

  /** A due timer sends its message to self; a full mailbox loses this firing (logged). */
  #deliverTimed(factory: () => M): void {
    let message: M;
    try {
      message = factory();
    } catch (error) {
      this.#logFailure('timer', error);
      return;
    }
    const result = this.send(message);
    if (!result.ok && result.reason === 'full') {
      this.#log('warn', 'timer message dropped: mailbox full', { actor: this.name });
    }
  }

  #invoke<T>(phase: string, call: () => T): T | undefined {
    try {
      return call();
    } catch (error) {
      this.#logFailure(phase, error);
      return undefined;
    }
  }

  #logFailure(phase: string, error: unknown): void {
    this.#log('error', 'actor handler failed', { actor: this.name, phase, error });
  }

  /** Log without letting a broken logger break the actor or its sender. */
  #log(level: 'warn' | 'error', message: string, fields: Record<string, unknown>): void {
    try {
      this.#host.logger[level](message, fields);
    } catch {
      // Nothing sensible is left to report to.
    }
  }
}

/** The address handed out for a cell: only the public face of it. */
class CellRef<M> implements ActorRef<M> {
  readonly #cell: ActorCell<unknown, M>;
  readonly name: string;
  readonly stopped: Promise<void>;

  constructor(cell: ActorCell<unknown, M>) {
    this.#cell = cell;
    this.name = cell.name;
    this.stopped = cell.stopped;
  }

  send(message: M): SendResult<M> {
    return this.#cell.send(message);
  }

  sendWhenRoom(message: M): Promise<SendResult<M>> {
    return this.#cell.sendWhenRoom(message);
  }

  isAlive(): boolean {
    return this.#cell.isAlive();
  }
}

/** The address of an actor that never ran (spawned after shutdown): every send is `closed`. */
export class ClosedRef<M> implements ActorRef<M> {
  readonly name: string;
  readonly stopped: Promise<void> = Promise.resolve();

  constructor(name: string) {
    this.name = name;
  }

  send(message: M): SendResult<M> {
    return { ok: false, reason: 'closed', message };
  }

  sendWhenRoom(message: M): Promise<SendResult<M>> {
    return Promise.resolve(this.send(message));
  }

  isAlive(): boolean {
    return false;
  }
}

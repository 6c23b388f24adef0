/**
 * The event bus: typed events from the store and the drop worker to whoever
 * listens (a user's metrics, through `store.events`, subscriptions.ts).
 *
 * Events are delivered in emit order, one at a time, to the listeners
 * registered when the event is delivered. How delivery relates to `emit`
 * depends on the mode, as for actors:
 *
 * ```
 *   event-loop:  emit ─► queue ─► (later setImmediate turn) ─► listeners
 *   inline:      emit ─► queue ─► listeners, before emit returns
 * ```
 *
 * - event-loop: listeners never run inside `emit`, whatever the load. The
 *   queue holds at most `capacity` undelivered events; an event emitted while
 *   it is full is shed: never delivered, counted in {@link EventBus.shed}.
 *   This keeps memory bounded when an emitter outruns the event loop (100,000
 *   commits in one turn), costs the emitter nothing, and never makes it run
 *   listeners. Whoever must not miss an event (the store's own statistics)
 *   does not rely on the bus.
 * - inline: `emit` delivers synchronously; nothing is shed.
 * - Re-entrancy, both modes: an event emitted by a listener is queued behind
 *   the events already pending and delivered after the current one, by the
 *   delivery loop that is already running: never recursively, never out of
 *   order.
 * - An event whose type has no listener when it is emitted is discarded at
 *   once: `emit` is then one map lookup. Emitters with costly payloads ask
 *   {@link EventBus.hasListeners} first and skip building them.
 * - A listener that throws is logged (`event listener failed`, with the event
 *   type); the other listeners still get the event.
 * - After {@link EventBus.close} a subscription throws `STORE_CLOSED` and
 *   emits are discarded; what was queued before is still delivered.
 *
 * @module
 */

import { InvalidInputError, StoreClosedError } from '../common/errors.js';
import { type Logger, silentLogger } from '../common/logger.js';
import type { ActorMode } from '../runtime/actor.js';
import { Fifo } from '../runtime/fifo.js';
import { nextTurn } from '../runtime/next-turn.js';
import type { AnyEvent, EventMap, EventType } from './events.js';

/** Default bound of undelivered events in event-loop mode. */
export const DEFAULT_EVENT_CAPACITY = 10_000;

/** Most events delivered in one event-loop turn before yielding to I/O. */
const TURN_BUDGET = 1024;

/** A function called with each event of one type. */
export type BusListener<T extends EventType> = (event: EventMap[T]) => void;

/** Options of {@link EventBus}. */
export interface EventBusOptions {
  /** When listeners run: after the emitter's turn, or synchronously. */
  readonly mode: ActorMode;
  /** Where failing listeners are logged; silent when absent. */
  readonly logger?: Logger;
  /** Most undelivered events in event-loop mode (default 10,000). */
  readonly capacity?: number;
}

/** The options once defaults are applied (frozen). */
export type EventBusConfig = Readonly<Required<EventBusOptions>>;

interface Registration {
  readonly listener: (event: AnyEvent) => void;
  active: boolean;
}

interface IdleWaiter {
  /** Resolve once this many events have been delivered. */
  readonly target: number;
  readonly resolve: () => void;
}

/** Typed publish/subscribe; see the module comment. */
export class EventBus {
  /** The configuration, defaults applied (frozen). */
  readonly config: EventBusConfig;
  /** Listeners by type; each array is replaced, never mutated, so delivery can iterate safely. */
  readonly #listeners = new Map<EventType, readonly Registration[]>();
  readonly #queue = new Fifo<AnyEvent>();
  readonly #waiters = new Fifo<IdleWaiter>();
  #delivering = false;
  #turnScheduled = false;
  #queuedCount = 0;
  #deliveredCount = 0;
  #shed = 0;
  #closed = false;

  constructor(options: EventBusOptions) {
    this.config = checkOptions(options);
  }

  /**
   * Call `listener` with every event of `type`; returns a function that
   * unsubscribes. Throws `STORE_CLOSED` once the bus is closed.
   */
  on<T extends EventType>(type: T, listener: BusListener<T>): () => void {
    if (this.#closed) throw new StoreClosedError();
    const registration: Registration = {
      listener: listener as unknown as (event: AnyEvent) => void,
      active: true,
    };
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), registration]);
    return () => this.#unsubscribe(type, registration);
  }

  /** True when someone listens to `type`: emitters skip building payloads otherwise. */
  hasListeners(type: EventType): boolean {
    return this.#listeners.has(type);
  }

  /** Publish `event`; see the module comment for when listeners run. */
  emit(event: AnyEvent): void {
    if (this.#closed || !this.#listeners.has(event.type)) return;
    if (this.config.mode === 'inline') {
      this.#enqueue(event);
      if (!this.#delivering) this.#deliver(Number.POSITIVE_INFINITY);
      return;
    }
    if (this.#queue.length >= this.config.capacity) {
      this.#shed++;
      return;
    }
    this.#enqueue(event);
    this.#scheduleTurn();
  }

  /** Refuse new subscriptions and discard later emits; queued events are still delivered. */
  close(): void {
    this.#closed = true;
  }

  /** Resolves once every event emitted before this call has been delivered. */
  idle(): Promise<void> {
    const target = this.#queuedCount;
    if (this.#deliveredCount >= target) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ target, resolve }));
  }

  /** How many events were shed (event-loop mode: emitted while `capacity` events waited). */
  get shed(): number {
    return this.#shed;
  }

  /** How many events are queued and not yet delivered. */
  get pending(): number {
    return this.#queue.length;
  }

  #unsubscribe(type: EventType, registration: Registration): void {
    if (!registration.active) return;
    registration.active = false;
    const rest = (this.#listeners.get(type) ?? []).filter((r) => r !== registration);
    if (rest.length === 0) this.#listeners.delete(type);
    else this.#listeners.set(type, rest);
  }

  #enqueue(event: AnyEvent): void {
    this.#queue.push(event);
    this.#queuedCount++;
  }

  #scheduleTurn(): void {
    if (this.#turnScheduled) return;
    this.#turnScheduled = true;
    nextTurn(() => {
      this.#turnScheduled = false;
      if (!this.#delivering) this.#deliver(TURN_BUDGET);
      if (!this.#queue.isEmpty()) this.#scheduleTurn();
    });
  }

  /** Deliver up to `limit` queued events in order; the only place listeners are called. */
  #deliver(limit: number): void {
    this.#delivering = true;
    try {
      for (let n = 0; n < limit; n++) {
        const event = this.#queue.shift();
        if (event === undefined) break;
        this.#dispatch(event);
        this.#deliveredCount++;
        this.#wakeWaiters();
      }
    } finally {
      this.#delivering = false;
    }
  }

  #dispatch(event: AnyEvent): void {
    const registrations = this.#listeners.get(event.type);
    if (registrations === undefined) return;
    for (const registration of registrations) {
      if (!registration.active) continue; // unsubscribed by an earlier listener of this event
      const { listener } = registration; // called bare: `this` must not reach the registration
      try {
        listener(event);
      } catch (error) {
        this.#logFailure(event.type, error);
      }
    }
  }

  #wakeWaiters(): void {
    // Targets only grow, so the waiters are already in the order they come due.
    for (let first = this.#waiters.peek(); first !== undefined; first = this.#waiters.peek()) {
      if (first.target > this.#deliveredCount) return;
      this.#waiters.shift();
      first.resolve();
    }
  }

  #logFailure(type: EventType, error: unknown): void {
    try {
      this.config.logger.error('event listener failed', { type, error });
    } catch {
      // A broken logger must not stop delivery.
    }
  }
}

function checkOptions(options: EventBusOptions): EventBusConfig {
  const modes: readonly ActorMode[] = ['event-loop', 'inline'];
  if (typeof options !== 'object' || options === null || !modes.includes(options.mode)) {
    throw new InvalidInputError('INVALID_OPTIONS', `mode must be one of ${modes.join(', ')}`);
  }
  const capacity = options.capacity ?? DEFAULT_EVENT_CAPACITY;
  if (!Number.isSafeInteger(capacity) || capacity <= 0) {
    throw new InvalidInputError(
      'INVALID_OPTIONS',
      `event bus capacity must be a positive integer, got ${String(capacity)}`,
    );
  }
  return Object.freeze({ mode: options.mode, logger: options.logger ?? silentLogger, capacity });
}

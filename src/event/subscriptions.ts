/**
 * The store's events as its users see them: subscribe, never publish.
 *
 * The store publishes on its own {@link EventBus}; what it hands out as
 * `store.events` is this read-only view of it. The view holds the bus in a
 * private field and offers `on` alone, so no user code can publish an event
 * (a forged `storage-stats` event once changed a store's statistics, when
 * the statistics tracker was itself a listener; it no longer is).
 *
 * ```
 *   store internals ── emit ──► EventBus ──► listeners
 *   user code ──────── on ────► StoreEvents (this view)
 * ```
 *
 * @module
 */

import { describe } from '../common/bytes.js';
import { InvalidInputError } from '../common/errors.js';
import type { EventBus } from './bus.js';
import type { EventMap, EventType } from './events.js';

/** A function called with each event of one type (keys in the store's key encoding, `K`). */
export type EventListener<T extends EventType, K = Uint8Array> = (event: EventMap<K>[T]) => void;

/** Every event type a store publishes. */
const EVENT_TYPES: readonly EventType[] = Object.freeze(['storage-stats']);

/** Subscriptions to a store's events (`store.events`). */
export interface StoreEvents<K = Uint8Array> {
  /**
   * Call `listener` with every event of `type` from now on; returns a function
   * that unsubscribes (calling it twice is harmless). Throws
   * `INVALID_ARGUMENT` for an unknown type or a listener that is not a function.
   */
  on<T extends EventType>(type: T, listener: EventListener<T, K>): () => void;
}

/** The read-only view of a bus that a store hands out. */
export class EventSubscriptions implements StoreEvents {
  readonly #bus: EventBus;

  constructor(bus: EventBus) {
    this.#bus = bus;
    Object.freeze(this);
  }

  on<T extends EventType>(type: T, listener: EventListener<T>): () => void {
    if (!EVENT_TYPES.includes(type)) {
      throw new InvalidInputError(
        'INVALID_ARGUMENT',
        `unknown event type ${typeof type === 'string' ? JSON.stringify(type) : describe(type)} (known: ${EVENT_TYPES.join(', ')})`,
      );
    }
    if (typeof listener !== 'function') {
      throw new InvalidInputError(
        'INVALID_ARGUMENT',
        `an event listener must be a function, got ${describe(listener)}`,
      );
    }
    return this.#bus.on(type, listener);
  }
}

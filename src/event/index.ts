/**
 * The event layer: the events multistore emits and the bus that carries them.
 *
 * @module
 */

export {
  type BusListener,
  DEFAULT_EVENT_CAPACITY,
  EventBus,
  type EventBusConfig,
  type EventBusOptions,
} from './bus.js';
export * from './events.js';

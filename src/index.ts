/**
 * multistore: an embedded multi-version key-value store.
 *
 * The public entry. Layers, bottom up (each imports only from below):
 *
 * ```
 *   cli      shell, demo, bench, run
 *   script   goldenscript parser and runners
 *   store    MultiStore, the drop worker
 *   stats    StorageStatsTracker
 *   tier     TierStorage contract, memory/, sqlite/
 *   event    EventBus, event types
 *   runtime  Clock, MockClock, ActorSystem
 *   common   errors, bytes, versions, logger
 * ```
 *
 * @module
 */

export * from './common/bytes.js';
export * from './common/errors.js';
export * from './common/logger.js';
export * from './common/version.js';
export * from './event/index.js';
export * from './runtime/index.js';
export * from './tier/index.js';

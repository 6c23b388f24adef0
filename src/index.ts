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

export {
  type BytesLike,
  compareBytes,
  equalBytes,
  fromUtf8,
  prefixEnd,
  utf8,
} from './common/bytes.js';
export * from './common/errors.js';
export * from './common/logger.js';
export { isVersion, MAX_VERSION } from './common/version.js';
export * from './event/index.js';
export * from './runtime/index.js';
export * from './stats/index.js';
export * from './store/index.js';
export * from './tier/index.js';

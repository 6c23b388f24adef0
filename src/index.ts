/**
 * multistore: an embedded multi-version key-value store.
 *
 * The package's main entry: what a user of the store needs, and nothing of
 * its internals (every name here is documented in the README, "Package
 * entries"). Custom tiers have their own entries, `multistore-kv/tier` and
 * `multistore-kv/tier-test`; the store on PostgreSQL has `multistore-kv/postgres`
 * (this entry never loads it, nor its driver). The layers behind it, bottom up (each imports only
 * from below; docs/architecture.md describes them):
 *
 * ```
 *   cli        shell, demo, bench, run
 *   script     goldenscript parser and runners
 *   tier-test  the tier contract suite (multistore-kv/tier-test)
 *   store      MultiStore, the drop worker
 *   stats      StorageStatsTracker
 *   tier       AbstractTier, memory/, sqlite/ (multistore-kv/tier)
 *   event      EventBus, store.events, event types
 *   runtime    Clock, MockClock, the actor system
 *   common     errors, bytes, versions, logger
 * ```
 *
 * @module
 */

export type { BytesLike } from './common/bytes.js';
export {
  type ConflictReason,
  ERROR_CODES,
  type ErrorCode,
  type InvalidInputCode,
  InvalidInputError,
  isStoreError,
  type LockConflict,
  type LockHolder,
  ReadOnlyError,
  ReadOnlyTransactionError,
  SnapshotViolationError,
  StoreClosedError,
  StoreError,
  StoreFailedError,
  StoreLockedError,
  TierIoError,
  TransactionClosedError,
  TransactionConflictError,
  type TransactionEnd,
  TransactionTooOldError,
  VersionTooOldError,
  WatchOverflowError,
} from './common/errors.js';
export { consoleLogger, type LogFields, type Logger } from './common/logger.js';
export type {
  EventMap,
  EventType,
  StatsCategory,
  StatsEntry,
  StorageStatsRecorded,
} from './event/events.js';
export type { EventListener, StoreEvents } from './event/subscriptions.js';
export type { ActorMode } from './runtime/actor.js';
export { type Clock, Instant, MockClock } from './runtime/clock.js';
export type { StorageFigures, StorageStats } from './stats/figures.js';
export type {
  Change,
  ChangeOptions,
  ChangeWrite,
  DiffEntry,
  DiffOptions,
} from './store/changes.js';
export type {
  Delta,
  DropDelta,
  RangeDropDelta,
  RemoveDelta,
  SetDelta,
  UnsetDelta,
} from './store/deltas.js';
export type { DropWorkerStats } from './store/drop-worker.js';
export type {
  Input,
  KeyEncoding,
  KeyOf,
  OrderedKey,
  OrderedKeyPart,
  ValueEncoding,
  ValueOf,
} from './store/encodings.js';
export {
  MultiStore,
  type SnapshotStats,
  type StoredVersion,
  type StoreFor,
  type StoreStats,
} from './store/multistore.js';
export type {
  DropWorkerOptions,
  MultiStoreOptions,
  RetentionPolicy,
  SqliteOptions,
  TableDeclaration,
} from './store/options.js';
export type { RangeOptions, RangeSpec, StoreEntry } from './store/range.js';
export type {
  DropOptions,
  Transaction,
  TransactionEntry,
  TransactionRangeOptions,
  TransactionState,
} from './store/transaction.js';
export type { BeginOptions, Isolation, TransactionOptions } from './store/transaction-options.js';
export type { FigureDifference, HorizonCheck } from './store/verify.js';
export type { Watch, WatchOptions } from './store/watch.js';
export type { CompactResult } from './tier/tier.js';

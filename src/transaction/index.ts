/**
 * The transaction core: versions, snapshots, conflicts and the erasure rules.
 *
 * Pure logic, no I/O, and no import of a tier or of the store, so that the
 * embedded store and an asynchronous store over another database can share
 * it unchanged:
 *
 * ```
 *   VersionOracle      which version a commit takes; SNAPSHOT_VIOLATION for explicit ones
 *   SnapshotRegistry   open snapshots (transactions, range reads, commits in progress):
 *                      watermark, maxAgeMs expiry, release of garbage-collected owners
 *   ConflictTracker    committed write sets; first committer wins; serializable read checks
 *   ReadSet            keys and merged ranges a transaction read
 *   WriteBuffer        a transaction's own writes; overlay() lays them over its snapshot
 *   planErasure        which versions a drop may erase now, which wait; per-key horizon
 * ```
 *
 * @module
 */

export {
  type ConflictQuery,
  ConflictTracker,
  type ConflictVerdict,
} from './conflicts.js';
export { CountedVersions } from './counted-versions.js';
export {
  type ErasureInput,
  type ErasurePlan,
  type ErasureTerms,
  type Horizon,
  type KeyErasures,
  NO_SNAPSHOTS,
  type OpenSnapshots,
  type PrefixErasures,
  planErasure,
  planKeyErasures,
  planKeyPrefix,
  refusedAt,
  snapshotsAt,
} from './erasure.js';
export {
  ALL_KEYS,
  type ByteBound,
  firstKeyOf,
  inRange,
  isEmptyRange,
  type KeyBound,
  type KeyId,
  type KeyRange,
  keyIdOf,
  keyRangeOf,
  OPEN,
  overlap,
  prefixRange,
} from './keys.js';
export { VersionOracle, type VersionRequest } from './oracle.js';
export { ReadSet } from './read-set.js';
export {
  type Finalizer,
  type FinalizerFactory,
  type LeaseInfo,
  type LeaseKind,
  type LeaseOptions,
  type RegistryOptions,
  type ReleaseReason,
  SnapshotLease,
  SnapshotRegistry,
  type TimeSource,
} from './snapshots.js';
export {
  type BufferedDrop,
  type BufferedWrite,
  type LiveEntry,
  overlay,
  WriteBuffer,
} from './write-buffer.js';

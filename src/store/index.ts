/**
 * The store layer: {@link MultiStore} and the types of its API.
 *
 * @module
 */

export type { Delta, DropDelta, RemoveDelta, SetDelta, UnsetDelta } from './deltas.js';
export type { DropWorkerStats } from './drop-worker.js';
export { MultiStore, type StoredVersion } from './multistore.js';
export {
  DROP_WORKER_DEFAULTS,
  type DropWorkerOptions,
  type MultiStoreOptions,
  type RetentionPolicy,
  type TableDeclaration,
} from './options.js';
export { DEFAULT_PAGE_SIZE, type RangeOptions, type RangeSpec, type StoreEntry } from './range.js';

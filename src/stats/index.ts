/**
 * The statistics layer: storage figures, the tracker that folds events into
 * them, and a recount from a tier.
 *
 * @module
 */

export {
  EMPTY_FIGURES,
  type StorageFigures,
  type StorageStats,
  VERSIONED_KEY_OVERHEAD,
  versionedKeyBytes,
} from './figures.js';
export { recountFigures, recountTable } from './recount.js';
export { StorageStatsTracker } from './tracker.js';

/**
 * `multistore-kv/tier`: the extension point for custom tiers.
 *
 * A tier stores the store's versioned entries. Extend {@link AbstractTier},
 * implement its protected `_`-methods, and pass an instance to
 * `MultiStore.fromTier`; the base class validates every input, refuses calls
 * after `close` (`STORE_CLOSED`) and reports storage failures as `TIER_IO`,
 * so the custom tier behaves like the built-in ones. {@link readPage} turns
 * an ordered key index ({@link KeyWalker}) into range pages ({@link walkPage}
 * into pages of anything, horizons included); {@link horizonPageOf} answers
 * a horizon page from a table's horizons in any order; {@link KeptState}
 * keeps the store's figures and log records for a tier without a file. The contract
 * suite to run against a custom tier is `multistore-kv/tier-test`.
 *
 * @module
 */

export { AbstractTier } from './abstract-tier.js';
export { changePageOf, compareChanges } from './changes.js';
export { horizonPageOf, refuses, widen } from './horizons.js';
export { KeptState } from './kept-state.js';
export { type KeyIndex, type KeyWalker, readPage, walkPage } from './range-walk.js';
export {
  type Bound,
  type ChangeCursor,
  type ChangePage,
  type ChangeQuery,
  type ChangeRequest,
  type CompactResult,
  DEFAULT_TABLE,
  EMPTY_CHANGE_PAGE,
  EMPTY_HORIZON_PAGE,
  EMPTY_PAGE,
  FIGURE_FIELDS,
  type Horizon,
  type HorizonEntry,
  type HorizonPage,
  type LogRecord,
  type PageQuery,
  type PageRequest,
  type RangeCursor,
  type RangePage,
  type StateChange,
  type TableFigures,
  type TierDrop,
  type TierDrops,
  type TierEntry,
  type TierErasedTops,
  type TierHorizons,
  type TierReader,
  type TierSnapshot,
  type TierWrite,
  type TierWrites,
  UNBOUNDED,
  type VersionEntry,
  type VersionSize,
  type WriteObserver,
} from './tier.js';
export { MAX_TABLE_NAME_BYTES } from './validate.js';

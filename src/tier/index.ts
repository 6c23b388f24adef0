/**
 * `multistore/tier`: the extension point for custom tiers.
 *
 * A tier stores the store's versioned entries. Extend {@link AbstractTier},
 * implement its protected `_`-methods, and pass an instance to
 * `MultiStore.fromTier`; the base class validates every input, refuses calls
 * after `close` (`STORE_CLOSED`) and reports storage failures as `TIER_IO`,
 * so the custom tier behaves like the built-in ones. {@link readPage} turns
 * an ordered key index ({@link KeyWalker}) into range pages. The contract
 * suite to run against a custom tier is `multistore/tier-test`.
 *
 * @module
 */

export { AbstractTier } from './abstract-tier.js';
export { type KeyWalker, readPage } from './range-walk.js';
export {
  type Bound,
  DEFAULT_TABLE,
  EMPTY_PAGE,
  type PageQuery,
  type PageRequest,
  type RangeCursor,
  type RangePage,
  type TierDrop,
  type TierDrops,
  type TierEntry,
  type TierWrite,
  type TierWrites,
  UNBOUNDED,
  type VersionEntry,
  type VersionSize,
  type WriteObserver,
} from './tier.js';
export { MAX_TABLE_NAME_BYTES } from './validate.js';

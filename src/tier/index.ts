/**
 * The tier layer's public names: the contract, both backends and the factory.
 *
 * @module
 */

export { openTier, TIER_KINDS, type TierKind, type TierOptions } from './factory.js';
export { MemoryTier } from './memory/memory-tier.js';
export { SqliteTier } from './sqlite/sqlite-tier.js';
export * from './tier.js';
export { MAX_TABLE_NAME_BYTES } from './validate.js';

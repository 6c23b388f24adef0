/**
 * Opening a tier by kind: the one place that knows every backend.
 *
 * The store layer calls {@link openTier} with its options and gets an
 * {@link AbstractTier}; it never imports a backend directly. Importing this
 * module does not load SQLite's native driver: the SQLite tier loads it when
 * one is opened.
 *
 * @module
 */

import { describe } from '../common/bytes.js';
import { InvalidInputError } from '../common/errors.js';
import type { AbstractTier } from './abstract-tier.js';
import { MemoryTier } from './memory/memory-tier.js';
import { MEMORY_PATH } from './sqlite/load.js';
import { SqliteTier } from './sqlite/sqlite-tier.js';

/** The backends {@link openTier} knows. */
export const TIER_KINDS = Object.freeze(['memory', 'sqlite'] as const);

/** Which backend a tier uses. */
export type TierKind = (typeof TIER_KINDS)[number];

/** Options of {@link openTier}. */
export interface TierOptions {
  /** `memory` (nothing persisted) or `sqlite`. */
  readonly kind: TierKind;
  /** SQLite only: the database file, or `:memory:` (the default). */
  readonly path?: string | undefined;
  /** SQLite only: open the file read-only, beside its writer. */
  readonly readOnly?: boolean | undefined;
  /** SQLite only: the writer's `synchronous` setting (default `normal`). */
  readonly synchronous?: 'normal' | 'full' | undefined;
  /** SQLite only: the writer's locking, `normal` (the default: readers beside it) or `exclusive`. */
  readonly locking?: 'normal' | 'exclusive' | undefined;
}

/**
 * Open a tier. Throws `INVALID_OPTIONS` for an unknown kind, a path given
 * to the memory tier or a bad SQLite `locking`, `STORE_LOCKED` when the file
 * is held (SqliteTier.open), and `TIER_IO` when SQLite cannot open the file.
 */
export function openTier(options: TierOptions): AbstractTier {
  if (typeof options !== 'object' || options === null) {
    throw invalidOptions(`tier options must be an object, got ${describe(options)}`);
  }
  switch (options.kind) {
    case 'memory':
      if (options.path !== undefined) throw invalidOptions('the memory tier takes no path');
      if (options.readOnly === true) throw invalidOptions('the memory tier cannot be read-only');
      return new MemoryTier();
    case 'sqlite':
      return SqliteTier.open(options.path ?? MEMORY_PATH, {
        readOnly: options.readOnly,
        synchronous: options.synchronous,
        locking: options.locking,
      });
    default:
      throw invalidOptions(
        `tier kind must be one of ${TIER_KINDS.join(', ')}, got ${describe(options.kind)}`,
      );
  }
}

function invalidOptions(message: string): InvalidInputError {
  return new InvalidInputError('INVALID_OPTIONS', message);
}

/**
 * The tiers one script run opens, and their cleanup.
 *
 * A runner asks its context for a fresh tier; the session opens it (memory,
 * in-memory SQLite, or SQLite in a temporary file when asked to), remembers
 * it, and after the runner has closed, closes it again (harmless when already
 * closed: a runner that forgot cannot leak a handle) and deletes the
 * temporary folder. So every script starts from empty storage and leaves
 * nothing behind.
 *
 * @module
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { openTier } from '../tier/factory.js';
import { messageOf, type TierKind } from './runner.js';

/** Opens a tier of `kind`; `path` is a SQLite file, or `undefined` for in-memory storage. */
export type TierOpener = (kind: TierKind, path: string | undefined) => AbstractTier;

/** Opens tiers through the tier factory (`:memory:` SQLite unless a path is given). */
export const defaultTierOpener: TierOpener = (kind, path) =>
  kind === 'sqlite' ? openTier({ kind, path: path ?? ':memory:' }) : openTier({ kind });

/** How a session opens its tiers. */
export interface TierSessionOptions {
  readonly opener: TierOpener;
  /** Put SQLite tiers in a temporary file instead of `:memory:`. */
  readonly sqliteFile: boolean;
}

/** The tiers opened for one script file; see the module documentation. */
export class TierSession {
  readonly #kind: TierKind;
  readonly #options: TierSessionOptions;
  readonly #tiers: AbstractTier[] = [];
  readonly #folders: string[] = [];

  constructor(kind: TierKind, options: TierSessionOptions) {
    this.#kind = kind;
    this.#options = options;
  }

  /** Open a fresh, empty tier. */
  open(): AbstractTier {
    const tier = this.#options.opener(this.#kind, this.#newPath());
    this.#tiers.push(tier);
    return tier;
  }

  /** Close every tier and delete temporary files; returns the messages of what failed. */
  dispose(): string[] {
    const problems: string[] = [];
    for (const tier of this.#tiers.splice(0)) {
      try {
        tier.close();
      } catch (error) {
        problems.push(`closing the tier failed: ${messageOf(error)}`);
      }
    }
    for (const folder of this.#folders.splice(0)) rmSync(folder, { recursive: true, force: true });
    return problems;
  }

  #newPath(): string | undefined {
    if (this.#kind !== 'sqlite' || !this.#options.sqliteFile) return undefined;
    const folder = mkdtempSync(join(tmpdir(), 'multistore-script-'));
    this.#folders.push(folder);
    return join(folder, 'tier.sqlite');
  }
}

/**
 * Reopening a store on both tiers, for tests of what survives a reopen.
 *
 * A SQLite store reopens its file. A memory store has no file, so the memory
 * tier is kept across stores instead: each store gets a view of the same
 * tier whose `close` does nothing, and the next store opens over it exactly
 * as it would over a file (reading the stored table declarations and the
 * latest version, the figures and the pending drop requests the tier keeps).
 *
 * @module
 */

import { join } from 'node:path';
import type { ActorMode } from '../runtime/actor.js';
import { MultiStore } from '../store/multistore.js';
import type { MultiStoreOptions } from '../store/options.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { MemoryTier } from '../tier/memory/memory-tier.js';
import { tempDir } from './store-setups.js';

/** Options a reopenable store takes (tier and mode are fixed). */
export type ReopenOptions = Omit<MultiStoreOptions, 'tier' | 'actorMode' | 'path'>;

/** A place a store can be opened, closed and opened again. */
export interface Reopenable {
  open(options?: ReopenOptions): MultiStore;
  /** Release the place (the file, or the kept memory tier). */
  dispose(): void;
}

/** A reopenable place of the given tier, opened in `actorMode`. */
export function reopenable(tier: 'memory' | 'sqlite', actorMode: ActorMode): Reopenable {
  if (tier === 'sqlite') {
    const dir = tempDir('multistore-reopen-');
    const path = join(dir.path, 'store.db');
    return {
      open: (options) => MultiStore.open({ ...options, path, actorMode }),
      dispose: () => dir.cleanup(),
    };
  }
  const memory = new MemoryTier();
  return {
    open: (options) => MultiStore.fromTier(keptOpen(memory), { ...options, actorMode }),
    dispose: () => memory.close(),
  };
}

/** `tier` with a `close` that keeps it open (and its data) for the next store. */
function keptOpen(tier: AbstractTier): AbstractTier {
  return new Proxy(tier, {
    get(target, name) {
      if (name === 'close') return () => undefined;
      const member = Reflect.get(target, name, target);
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
}

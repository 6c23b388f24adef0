/**
 * A transaction's own writes, and reads that see them over its snapshot.
 *
 * A transaction buffers its writes until it commits; its reads must see them
 * (read your writes). The buffer keeps the last write of each key, sorted by
 * key, so a range read can lay them over the snapshot's entries in either
 * direction, a set replacing or adding a key and a delete hiding it:
 *
 * ```
 *   snapshot (live):   a=1        c=3   d=4
 *   own writes:        a=9   b=2        d=(delete)   e=5
 *   range, forward:    a=9   b=2   c=3               e=5
 *   range, reverse:    e=5   c=3   b=2   a=9
 * ```
 *
 * A range takes the buffered writes inside it when it starts, so writes made
 * while it iterates do not change what it returns: it reads one state.
 *
 * Drops are kept apart, in order: they do not change what the transaction
 * reads (they erase history after the commit), but they are part of its
 * commit and of its conflict checks.
 *
 * @module
 */

import BTreeModule from 'sorted-btree';
import { compareBytes } from '../common/bytes.js';
import { inRange, type KeyId, type KeyRange, keyIdOf, OPEN } from './keys.js';

const BTree = BTreeModule.default;
type BTree<K, V> = InstanceType<typeof BTreeModule.default<K, V>>;

/** One buffered write: a value, or a delete (`unset` carries the old value, `remove` does not). */
export type BufferedWrite =
  | { readonly type: 'set'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'unset'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'remove'; readonly key: Uint8Array };

/** One buffered drop request. */
export interface BufferedDrop {
  readonly key: Uint8Array;
  readonly upToVersion?: number | undefined;
  readonly keepLastVersions?: number | undefined;
}

/** A live entry as a read returns it. */
export interface LiveEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** The writes and drops of one transaction. */
export class WriteBuffer {
  readonly #writes: BTree<KeyId, BufferedWrite> = new BTree();
  readonly #drops: BufferedDrop[] = [];

  /** Buffer a write; it replaces an earlier write of the same key (the last write wins). */
  put(write: BufferedWrite): void {
    this.#writes.set(keyIdOf(write.key), write);
  }

  /** Buffer a drop request. */
  drop(drop: BufferedDrop): void {
    this.#drops.push(drop);
  }

  /** The buffered write of `key`, if any. */
  get(key: Uint8Array): BufferedWrite | undefined {
    return this.#writes.get(keyIdOf(key));
  }

  /** True when nothing was written or dropped (the commit takes no version). */
  get empty(): boolean {
    return this.#writes.size === 0 && this.#drops.length === 0;
  }

  /** The writes, in key order (one per key). */
  writes(): BufferedWrite[] {
    return [...this.#writes.values()];
  }

  /** The drops, in the order they were made. */
  drops(): readonly BufferedDrop[] {
    return this.#drops;
  }

  /** Every key written or dropped: what conflict detection checks. */
  keys(): Set<KeyId> {
    const keys = new Set<KeyId>(this.#writes.keys());
    for (const drop of this.#drops) keys.add(keyIdOf(drop.key));
    return keys;
  }

  /** The buffered writes inside `range`, in key order (or reverse), as a copy. */
  within(range: KeyRange, reverse: boolean): BufferedWrite[] {
    const start = range.start.kind === 'unbounded' ? undefined : range.start.key;
    const untilEnd: KeyRange = { start: OPEN, end: range.end };
    const found: BufferedWrite[] = [];
    for (const [key, write] of this.#writes.entries(start)) {
      if (!inRange(key, untilEnd)) break;
      if (inRange(key, range)) found.push(write);
    }
    return reverse ? found.reverse() : found;
  }

  /** Forget everything (rollback). */
  clear(): void {
    this.#writes.clear();
    this.#drops.length = 0;
  }
}

/**
 * The live entries of a range as a transaction sees them: the snapshot's live
 * entries (in range order, tombstones already skipped) with `own` (the
 * buffered writes in the same range and order) laid over them. `ownEntry`
 * turns a buffered set into the caller's entry type.
 */
export function* overlay<E extends LiveEntry>(
  snapshot: Iterable<E>,
  own: readonly BufferedWrite[],
  reverse: boolean,
  ownEntry: (write: Extract<BufferedWrite, { type: 'set' }>) => E,
): Generator<E, void, undefined> {
  const direction = reverse ? -1 : 1;
  let next = 0;
  for (const entry of snapshot) {
    let replaced = false;
    for (; next < own.length && !replaced; next++) {
      const write = own[next] as BufferedWrite;
      const order = direction * compareBytes(write.key, entry.key);
      if (order > 0) break;
      if (write.type === 'set') yield ownEntry(write);
      replaced = order === 0;
    }
    if (!replaced) yield entry;
  }
  for (; next < own.length; next++) {
    const write = own[next] as BufferedWrite;
    if (write.type === 'set') yield ownEntry(write);
  }
}

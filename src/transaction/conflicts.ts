/**
 * Conflict detection: first committer wins.
 *
 * A transaction reads as of its *base* version and buffers its writes. When it
 * commits, it fails if a commit above its base wrote a key it writes (a lost
 * update, blind writes included); in serializable mode also if such a commit
 * wrote a key it read or a key inside a range it read (write skew, phantoms).
 * To answer that, the tracker keeps the write sets of recent commits by
 * version, and the newest version that wrote each key:
 *
 * ```
 *   commits kept:  v8 {a, b}   v9 {c}   v11 {a, x}          floor = 7
 *   lastWrite:     a -> 11, b -> 8, c -> 9, x -> 11
 *
 *   tx base 9 writes {a}          lastWrite(a) = 11 > 9   -> conflict (write)
 *   tx base 9 reads range [w, z)  v11 wrote x, x in [w, z) -> conflict (range)
 *   tx base 11 writes {a}         nothing above 11          -> clear
 * ```
 *
 * Point checks are one map lookup per key; range checks look only at the
 * commits above the base (the transaction's concurrent commits), each written
 * key a binary search in the merged ranges.
 *
 * ## Written ranges
 *
 * A commit can also write whole key ranges: a range drop (a `prefix` or
 * `start`/`end` drop delta) counts as a write of every key of its range,
 * whether or not the drop ends up erasing anything of it, exactly as a
 * per-key drop counts as a write of its key. Its keys are only listed when
 * the drop worker applies it, long after the commit, so the commit records
 * the range itself:
 *
 * ```
 *   commits kept:  v8 {a}   v10 {} + range [u, v)                floor = 7
 *   ranged:        v10 [u, v)              (the commits that wrote a range)
 *
 *   tx base 9 writes {u1}        lastWrite(u1) none; u1 in [u, v) at 10 -> conflict (write)
 *   tx base 9 reads {u2}         u2 in [u, v) at 10                    -> conflict (read)
 *   tx base 9 reads range [t, ua)  overlaps [u, v) from u               -> conflict (range)
 * ```
 *
 * A point check looks at the written ranges only when some are held (none,
 * in the common case: then it is still one map lookup); each concurrent
 * written range is then tested with `inRange`, and against the ranges read
 * with one search of the read set ({@link ReadSet.firstOverlap}). A range
 * conflict names the first key the two ranges share.
 *
 * ## What is kept
 *
 * A commit's writes matter only to transactions whose base is below it. The
 * store calls {@link ConflictTracker.prune} with the lowest base of the open
 * read-write transactions (or the latest version when none is open): commits
 * at or below it are forgotten, written ranges included, and the *floor*
 * rises to it. The tracker then holds every commit above the floor.
 *
 * A transaction can begin below the floor (a read-write transaction as of an
 * old version): the commits between its base and the floor were forgotten
 * before it began. Its check then covers what the tracker holds and reports
 * the window it could not see, `(base, floor]`, for the store to verify
 * against the stored history (see {@link ConflictVerdict}).
 *
 * @module
 */

import type { ConflictReason } from '../common/errors.js';
import { firstKeyOf, inRange, isEmptyRange, type KeyId, type KeyRange } from './keys.js';
import type { ReadSet } from './read-set.js';

/** One committed write set: keys, and whole ranges (range drops). */
interface CommittedWrites {
  readonly version: number;
  readonly keys: ReadonlySet<KeyId>;
  /** Each counts as a write of every key inside it; usually none. */
  readonly ranges: readonly KeyRange[];
}

/** What a committing transaction asks the tracker to check. */
export interface ConflictQuery {
  /** The version the transaction began at: commits above it are concurrent with it. */
  readonly base: number;
  /** Every key it writes (drops included). */
  readonly writes: ReadonlySet<KeyId>;
  /** What it read: checked in serializable mode only (pass `undefined` otherwise). */
  readonly reads?: ReadSet | undefined;
}

/** The answer of {@link ConflictTracker.check}. */
export type ConflictVerdict =
  | { readonly kind: 'clear' }
  | {
      readonly kind: 'conflict';
      readonly reason: ConflictReason;
      /**
       * The key both touched; for a range read meeting a written range, the
       * first key the two share (which the store may not hold).
       */
      readonly key: KeyId;
      /** The version of the commit that wrote the key. */
      readonly version: number;
    }
  | {
      /**
       * Nothing the tracker holds conflicts, but commits in `(above, through]`
       * were forgotten before the transaction began: the store must check them
       * against its stored history before committing.
       */
      readonly kind: 'verify';
      readonly above: number;
      readonly through: number;
    };

const CLEAR: ConflictVerdict = Object.freeze({ kind: 'clear' });

/** Keeps recent write sets and checks transactions against them. */
export class ConflictTracker {
  /** Ascending by version. */
  readonly #commits: CommittedWrites[] = [];
  /** The commits that wrote a range, ascending by version (empty in the common case). */
  readonly #ranged: CommittedWrites[] = [];
  readonly #lastWrite = new Map<KeyId, number>();
  #floor: number;

  /** A tracker holding no commit, that will hold every commit above `floor`. */
  constructor(floor: number) {
    this.#floor = floor;
  }

  /** Every commit above this version is held. */
  get floor(): number {
    return this.#floor;
  }

  /** Number of commits held. */
  get size(): number {
    return this.#commits.length;
  }

  /** Number of written ranges held (range drops of the commits held). */
  get rangeCount(): number {
    let count = 0;
    for (const commit of this.#ranged) count += commit.ranges.length;
    return count;
  }

  /**
   * A commit at `version` wrote `keys`, and every key of each of `ranges`
   * (its range drops). Commits at or below the floor are not kept (no open
   * transaction began below them).
   */
  record(version: number, keys: Iterable<KeyId>, ranges: Iterable<KeyRange> = []): void {
    if (version <= this.#floor) return;
    const set = new Set(keys);
    const written = [...ranges].filter((range) => !isEmptyRange(range));
    if (set.size === 0 && written.length === 0) return;
    const commit: CommittedWrites = { version, keys: set, ranges: written };
    insertByVersion(this.#commits, commit);
    if (written.length > 0) insertByVersion(this.#ranged, commit);
    for (const key of set) {
      const last = this.#lastWrite.get(key);
      if (last === undefined || last < version) this.#lastWrite.set(key, version);
    }
  }

  /** Check a committing transaction; see {@link ConflictVerdict}. */
  check(query: ConflictQuery): ConflictVerdict {
    const { base, writes, reads } = query;
    for (const key of writes) {
      const last = this.#writtenAbove(key, base);
      if (last !== undefined) return conflict('write', key, last);
    }
    if (reads !== undefined && !reads.empty) {
      const found = this.#checkReads(base, reads);
      if (found !== undefined) return found;
    }
    if (base < this.#floor) return { kind: 'verify', above: base, through: this.#floor };
    return CLEAR;
  }

  /** Forget the commits at or below `version`; the floor rises to it (never falls). */
  prune(version: number): void {
    if (version <= this.#floor) return;
    this.#floor = version;
    const commits = this.#commits;
    const count = firstAbove(commits, version);
    for (const commit of commits.slice(0, count)) {
      for (const key of commit.keys) {
        if (this.#lastWrite.get(key) === commit.version) this.#lastWrite.delete(key);
      }
    }
    commits.splice(0, count);
    this.#ranged.splice(0, firstAbove(this.#ranged, version));
  }

  /** The version of a commit above `base` that wrote `key`, itself or inside a range, if any. */
  #writtenAbove(key: KeyId, base: number): number | undefined {
    const last = this.#lastWrite.get(key);
    if (last !== undefined && last > base) return last;
    const ranged = this.#ranged;
    // Newest first: the version reported is the newest range write of the key.
    for (let index = ranged.length - 1; index >= 0; index--) {
      const commit = ranged[index] as CommittedWrites;
      if (commit.version <= base) break;
      if (commit.ranges.some((range) => inRange(key, range))) return commit.version;
    }
    return undefined;
  }

  #checkReads(base: number, reads: ReadSet): ConflictVerdict | undefined {
    for (const key of reads.keys) {
      const last = this.#writtenAbove(key, base);
      if (last !== undefined) return conflict('read', key, last);
    }
    if (!reads.everything && reads.ranges.length === 0) return undefined;
    const commits = this.#commits;
    for (let index = firstAbove(commits, base); index < commits.length; index++) {
      const commit = commits[index] as CommittedWrites;
      for (const key of commit.keys) {
        if (reads.inRanges(key)) return conflict('range', key, commit.version);
      }
      for (const range of commit.ranges) {
        const shared = reads.firstOverlap(range);
        if (shared !== undefined) return conflict('range', firstKeyOf(shared), commit.version);
      }
    }
    return undefined;
  }
}

function conflict(reason: ConflictReason, key: KeyId, version: number): ConflictVerdict {
  return { kind: 'conflict', reason, key, version };
}

/** Insert `commit` in `commits`, kept ascending by version (explicit commits can come out of order). */
function insertByVersion(commits: CommittedWrites[], commit: CommittedWrites): void {
  let at = commits.length;
  while (at > 0 && (commits[at - 1] as CommittedWrites).version > commit.version) at--;
  commits.splice(at, 0, commit);
}

/** Index of the first commit with a version above `base`. */
function firstAbove(commits: readonly CommittedWrites[], base: number): number {
  let low = 0;
  let high = commits.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((commits[middle] as CommittedWrites).version <= base) low = middle + 1;
    else high = middle;
  }
  return low;
}

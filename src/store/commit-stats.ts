/**
 * The statistics of a commit, worked out before it is written.
 *
 * For each write the tier tells the store (through a write observer, before
 * applying it) the key's newest stored version and the version the write
 * overwrites, if any; the store records where every affected version is
 * counted afterwards:
 *
 * ```
 *   newest before     write          entries of the event
 *   (none)            v7 "abc"       writes  v7 current
 *   v3 "q" (value)    v7 "abc"       writes  v7 current,  moves v3 -> historical
 *   v3 tombstone      v7 tombstone   deletes v7 historical
 *   v9 "q"            v7 "abc"       writes  v7 historical          (out of order)
 *   v7 "q"            v7 "abc"       drops   v7 current (replaced), writes v7 current
 *   v3 "q" (value)    v7 "abc",      writes  v7 current,  drops v3 current
 *                     v3 trimmed     (one entry: no move to historical, then a drop from it)
 * ```
 *
 * Only what the tier holds is used, so the figures stay exact whatever was
 * dropped or written before, and two writes of one key in a commit (the last
 * wins) account as a write then its replacement.
 *
 * A commit that trims its retention tables in its own step (store-writer.ts)
 * also reports what the trim erased ({@link StatsEventBuilder.trimmed}): each
 * erased version as a drop where it was counted. The version a write of the
 * same commit made historical was counted current before the commit and is
 * gone after it, so its move is taken back and it is reported as ONE drop,
 * `current` (the last row above), instead of a move to historical and a drop
 * from there: the same figures, one entry fewer per trimmed write. A trimmed
 * version the commit did not move (older ones, a tombstone) drops as
 * historical. A commit that queues its retention requests instead keeps the
 * move, and the flush reports the drop.
 *
 * A trimmed key's move is found without an index per write: the tiers trim
 * a table's keys in the order of their first writes, the order of their
 * moves, so the move after the last one found is checked first; a lookup
 * by the key's bytes, built only by a commit whose order differs, answers
 * otherwise. A key has at most one move per commit: only its first write at
 * the commit's version finds an older newest version.
 *
 * @module
 */

import { bytesToBinaryString, equalBytes } from '../common/bytes.js';
import type { StatsCategory, StatsEntry, StorageStatsRecorded } from '../event/events.js';
import type { VersionSize, WriteObserver } from '../tier/tier.js';

/** A stats entry the builder may still reclassify (a move taken back as a drop). */
type BuiltEntry = { -readonly [P in keyof StatsEntry]: StatsEntry[P] };

/** Collects the entries of one `storage-stats` event. */
export class StatsEventBuilder {
  readonly writes: StatsEntry[] = [];
  readonly deletes: StatsEntry[] = [];
  readonly drops: StatsEntry[] = [];
  /** The moves, with a hole where a trim took one back (compacted by `build`). */
  readonly #moves: (BuiltEntry | undefined)[] = [];
  #taken = 0;
  /** Where the next trimmed key's move most likely lies: after the last one found. */
  #hint = 0;
  /** The moves by table and key bytes, built on the first lookup the hint misses. */
  #movedByBytes: Map<string, number> | undefined;

  /** True when nothing was recorded. */
  get empty(): boolean {
    const moves = this.#moves.length - this.#taken;
    return this.writes.length + this.deletes.length + this.drops.length + moves === 0;
  }

  /** Record that `size` of `key` becomes `category` (a move; see the module table). */
  move(table: string, key: Uint8Array, size: VersionSize, category: StatsCategory): void {
    this.#movedByBytes?.set(movedId(table, key), this.#moves.length);
    this.#moves.push(entryOf(table, key, size, category === 'current'));
  }

  /**
   * A trim of the commit's step erased `erased` (ascending) of `key` in
   * `table`: each joins the drops, counted historical, but the version this
   * commit's write moved to historical, whose move is taken back and which
   * drops as current (module comment).
   */
  trimmed(table: string, key: Uint8Array, erased: readonly VersionSize[]): void {
    const at = this.#moveOf(table, key);
    const moved = at === undefined ? undefined : this.#moves[at];
    for (const size of erased) {
      if (moved !== undefined && size.version === moved.version) {
        this.#moves[at as number] = undefined;
        this.#taken++;
        moved.category = 'current';
        this.drops.push(moved);
      } else {
        this.drops.push(entryOf(table, key, size, false));
      }
    }
  }

  /** The event, for `version`. */
  build(version: number): StorageStatsRecorded {
    const { writes, deletes, drops } = this;
    return { type: 'storage-stats', version, writes, deletes, drops, moves: this.#compacted() };
  }

  /** The moves without the holes of those taken back. */
  #compacted(): StatsEntry[] {
    const moves = this.#moves;
    if (this.#taken === 0) return moves as StatsEntry[];
    if (this.#taken === moves.length) return [];
    return moves.filter((entry) => entry !== undefined);
  }

  /**
   * Where the move of `key` in `table` lies in `#moves`, if this commit made
   * one and it stands. The tiers trim a table's keys in the order of their
   * first writes, which is the order of their moves: the entry after the
   * last one found is nearly always it (compared by bytes: the tier may
   * report another array of them). Otherwise (no move, or another order) a
   * lookup by bytes answers.
   */
  #moveOf(table: string, key: Uint8Array): number | undefined {
    const moves = this.#moves;
    if (moves.length === this.#taken) return undefined;
    const hinted = moves[this.#hint];
    if (
      hinted !== undefined &&
      hinted.table === table &&
      (hinted.key === key || equalBytes(hinted.key, key))
    ) {
      return this.#hint++;
    }
    this.#movedByBytes ??= this.#indexByBytes();
    const at = this.#movedByBytes.get(movedId(table, key));
    if (at !== undefined) this.#hint = at + 1;
    return at;
  }

  #indexByBytes(): Map<string, number> {
    const index = new Map<string, number>();
    this.#moves.forEach((entry, at) => {
      if (entry !== undefined) index.set(movedId(entry.table, entry.key), at);
    });
    return index;
  }
}

/** A move's key in {@link StatsEventBuilder}'s lookup by bytes. */
function movedId(table: string, key: Uint8Array): string {
  return `${table}\0${bytesToBinaryString(key)}`;
}

/**
 * A {@link WriteObserver} recording, in `out`, what each write of a commit at
 * `version` does to the figures (the tier calls it before applying the write).
 */
export function statsObserver(out: StatsEventBuilder, version: number): WriteObserver {
  return (table, write, newest, replaced) => {
    const becomesNewest = newest === undefined || newest.version <= version;
    if (replaced !== undefined) {
      const wasCurrent = replaced.version === newest?.version && replaced.valueBytes !== undefined;
      out.drops.push(entryOf(table, write.key, replaced, wasCurrent));
    }
    if (newest !== undefined && newest.version < version && newest.valueBytes !== undefined) {
      out.move(table, write.key, newest, 'historical');
    }
    const { key, value } = write;
    if (value === undefined) {
      out.deletes.push({ table, key, version, valueBytes: 0, category: 'historical' });
    } else {
      const category = becomesNewest ? 'current' : 'historical';
      out.writes.push({ table, key, version, valueBytes: value.length, category });
    }
  };
}

function entryOf(table: string, key: Uint8Array, size: VersionSize, current: boolean): BuiltEntry {
  const valueBytes = size.valueBytes ?? 0;
  return {
    table,
    key,
    version: size.version,
    valueBytes,
    category: current ? 'current' : 'historical',
  };
}

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
 * ```
 *
 * Only what the tier holds is used, so the figures stay exact whatever was
 * dropped or written before, and two writes of one key in a commit (the last
 * wins) account as a write then its replacement.
 *
 * @module
 */

import type { StatsEntry, StorageStatsRecorded } from '../event/events.js';
import type { VersionSize, WriteObserver } from '../tier/tier.js';

/** Collects the entries of one `storage-stats` event. */
export class StatsEventBuilder {
  readonly writes: StatsEntry[] = [];
  readonly deletes: StatsEntry[] = [];
  readonly drops: StatsEntry[] = [];
  readonly moves: StatsEntry[] = [];

  /** True when nothing was recorded. */
  get empty(): boolean {
    return this.writes.length + this.deletes.length + this.drops.length + this.moves.length === 0;
  }

  /** The event, for `version`. */
  build(version: number): StorageStatsRecorded {
    const { writes, deletes, drops, moves } = this;
    return { type: 'storage-stats', version, writes, deletes, drops, moves };
  }
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
      out.moves.push(entryOf(table, write.key, newest, false));
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

function entryOf(table: string, key: Uint8Array, size: VersionSize, current: boolean): StatsEntry {
  const valueBytes = size.valueBytes ?? 0;
  return {
    table,
    key,
    version: size.version,
    valueBytes,
    category: current ? 'current' : 'historical',
  };
}

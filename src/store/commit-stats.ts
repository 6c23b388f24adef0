/**
 * The statistics of a commit, worked out before it is written.
 *
 * For each write the store looks at the key's newest stored version (and, for
 * an out-of-order write, at the version it may overwrite) and records where
 * every affected version is counted afterwards:
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
 * Only the tier's own reads are used, so the figures stay exact whatever was
 * dropped or written before.
 *
 * @module
 */

import { MAX_VERSION } from '../common/version.js';
import type { StatsEntry, StorageStatsRecorded } from '../event/events.js';
import type { TierEntry, TierStorage } from '../tier/tier.js';
import type { PlannedWrite } from './deltas.js';

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

/** Record, in `out`, what writing `write` at `version` does to the figures. Call before writing. */
export function recordWrite(
  tier: TierStorage,
  write: PlannedWrite,
  version: number,
  out: StatsEventBuilder,
): void {
  const table = write.table.name;
  const newest = tier.get(table, write.key, MAX_VERSION);
  const becomesNewest = newest === undefined || newest.version <= version;
  if (newest !== undefined && newest.version === version) {
    out.drops.push(entryOf(table, newest, newest.value !== undefined ? 'current' : 'historical'));
  } else if (newest !== undefined && newest.version < version && newest.value !== undefined) {
    out.moves.push(entryOf(table, newest, 'historical'));
  } else if (!becomesNewest) {
    const replaced = tier.get(table, write.key, version);
    if (replaced !== undefined && replaced.version === version)
      out.drops.push(entryOf(table, replaced, 'historical'));
  }
  const written = { key: write.key, version, value: write.value };
  if (write.value === undefined) out.deletes.push(entryOf(table, written, 'historical'));
  else out.writes.push(entryOf(table, written, becomesNewest ? 'current' : 'historical'));
}

function entryOf(table: string, entry: TierEntry, category: StatsEntry['category']): StatsEntry {
  return {
    table,
    key: entry.key,
    version: entry.version,
    valueBytes: entry.value?.length ?? 0,
    category,
  };
}

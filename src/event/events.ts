/**
 * The events multistore emits.
 *
 * Today there is one: {@link StorageStatsRecorded}, emitted once per commit
 * that wrote something and once per drop-worker flush that erased something.
 * It carries, for every stored version it accounts for, where its bytes are
 * counted, so that the statistics tracker (which the store feeds these records
 * directly, before any listener sees them) can fold them into exact figures
 * without reading the storage, and a listener can follow the same figures:
 *
 * ```
 *   commit v=7: set a=xyz            a was "q"@3 (current)
 *     writes: [a@7  3 bytes  current]
 *     moves:  [a@3  1 byte   historical]    <- the old value stops being current
 *
 *   drop worker: erase a@3
 *     drops:  [a@3  1 byte   historical]    <- taken out of where it was counted
 *
 *   commit v=8: set r=xyz, r in a keepLastVersions: 1 table, r was "q"@3,
 *   trimmed in the commit's own step (no snapshot reads below it)
 *     writes: [r@8  3 bytes  current]
 *     drops:  [r@3  1 byte   current]       <- one entry: no move to historical first
 * ```
 *
 * A drop's category always says where the version was counted before the
 * record. A commit that erases a version its own write made historical (a
 * retention table trimmed in the commit, see the store's architecture
 * notes) reports it as one drop `current`, not a move to historical and a
 * drop from there: the same figures, one entry fewer. Listeners that follow
 * the figures need nothing special; listeners that follow versions see the
 * drop either way. When the commit queues its retention instead (the drop
 * worker busy, or a snapshot reading below it), it reports the move and a
 * later flush the historical drop, as above.
 *
 * A version is `current` when it is the newest stored version of its key and a
 * value (not a tombstone); every other stored version is `historical`. The key
 * bytes of one stored version are `key.length + 10` (8-byte version, 2-byte
 * separator); the event carries the raw key and the tracker applies that rule.
 *
 * @module
 */

/** Where a stored version's bytes are counted. */
export type StatsCategory = 'current' | 'historical';

/** One stored version that an event accounts for. */
export interface StatsEntry<K = Uint8Array> {
  /** The table that stores it. */
  readonly table: string;
  /** The user key (without version suffix), in the store's key encoding. */
  readonly key: K;
  /** Its version. */
  readonly version: number;
  /** Bytes of its value; 0 for a tombstone. */
  readonly valueBytes: number;
  /**
   * For `writes`/`deletes`: where it is now counted. For `drops`: where it was
   * counted. For `moves`: where it is counted from now on (it leaves the other).
   */
  readonly category: StatsCategory;
}

/** Statistics of one commit or one drop-worker flush. */
export interface StorageStatsRecorded<K = Uint8Array> {
  readonly type: 'storage-stats';
  /** The commit version, or the highest commit/pending version of a drop batch. */
  readonly version: number;
  /** Values stored. */
  readonly writes: readonly StatsEntry<K>[];
  /** Tombstones stored (always historical, `valueBytes` 0). */
  readonly deletes: readonly StatsEntry<K>[];
  /** Versions physically erased. */
  readonly drops: readonly StatsEntry<K>[];
  /** Stored versions whose category changed (`category` is the new one). */
  readonly moves: readonly StatsEntry<K>[];
}

/** Every event type, keyed by its `type`. */
export interface EventMap<K = Uint8Array> {
  'storage-stats': StorageStatsRecorded<K>;
}

/** The name of an event type. */
export type EventType = keyof EventMap;

/** Any event. */
export type AnyEvent = EventMap[EventType];

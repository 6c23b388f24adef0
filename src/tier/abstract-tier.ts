/**
 * The tier contract, and the base class every tier extends.
 *
 * A tier stores versioned entries for named tables and knows nothing of
 * commits, drop policies or statistics: the store above decides what to
 * write and what to erase; a tier does the raw, synchronous work. This
 * module is the one place the contract is written down.
 *
 * ## Public methods and raw methods
 *
 * The split is abstract-level's: callers use the public methods of
 * {@link AbstractTier}; a backend implements the protected `_`-methods. A
 * public method checks that the tier is open (`STORE_CLOSED`), validates ALL
 * of its input (validate.ts: versions, keys, values, table names, limits,
 * page requests, settings), and only then calls the raw method, turning
 * anything but a {@link StoreError} the backend throws into a `TIER_IO`
 * {@link TierIoError} with the original as `cause`:
 *
 * ```
 *   tier.get(table, key, v)                       the caller
 *     open?            STORE_CLOSED
 *     checkTableName   INVALID_ARGUMENT           validate.ts, once for every backend
 *     checkKey         INVALID_KEY
 *     checkVersion     INVALID_VERSION
 *     this._get(table, key, v)                    the backend: raw work, input known good
 *       throws? -> TIER_IO (cause: what it threw)
 * ```
 *
 * So a backend never validates, never tracks closing, never wraps errors,
 * and a tier passed to `MultiStore.fromTier` behaves like a built-in one.
 *
 * ## Data model
 *
 * A table holds entries `(key, version) -> value | tombstone`. Keys are bytes,
 * ordered bytewise (a prefix sorts first); versions are non-negative safe
 * integers. A *tombstone* (`value: undefined`) is a stored version that says
 * "the key is absent from here on"; it is a real entry: it occupies storage,
 * is listed by `getAllVersions`, appears in range pages, and is only removed
 * by `drop` or `clearTable`.
 *
 * "Newest at or below version V" is the one visibility rule: for a key, the
 * entry with the highest version <= V, whatever it is (value or tombstone).
 * Reading a table the tier does not hold is an empty read, never an error,
 * and never creates the table.
 *
 * ## Atomicity and ownership
 *
 * `set` writes every table's entries in one atomic step (all or nothing, and
 * for a durable tier, durable together); `drop` erases its pairs in one
 * atomic step. Writing an existing `(key, version)` replaces its value;
 * within one `set` the last write of a key wins. `set` copies what it keeps:
 * the caller may change or reuse its arrays once `set` returns. Arrays a tier
 * returns are plain `Uint8Array`s (never a Node `Buffer`) that the caller
 * owns and may change: fresh ones, never an array the caller passed in (the
 * key of a `get` entry included).
 *
 * ## Write groups
 *
 * A tier may let many `set`s share one storage transaction (group commit):
 * `beginGroup(ended)` opens a group, the `set`s that follow each stay all or
 * nothing (a failing one leaves no trace, the others stand) but become
 * durable together, when the group ends. `endGroup()` ends it; so does,
 * first thing, every other call that writes or needs the storage settled
 * (`drop`, `ensureTable`, `clearTable`, `writeSetting`, `compact`,
 * `snapshot`, `backup`, `close`). `ended` hears every end: `undefined` once
 * committed, or the `TIER_IO` error of an end that failed, after which the
 * tier refuses every call but `close` with that error (what it had
 * acknowledged of the group is not in storage: nothing may go on as if it
 * were). A backend opts in by overriding `_beginGroup` (start the storage
 * transaction, return true) and `_endGroup` (commit it, or undo it and
 * throw); by default `beginGroup` answers false and each `set` is durable on
 * its own. A failing `set` that undid the whole group (`_groupLost`) ends
 * the group failed at once.
 *
 * ## Ranges
 *
 * `page` returns at most `limit` entries, one per key (the key's newest entry
 * at or below the version, tombstones included), in key order (or reverse).
 * A page must cost O(limit) seeks however many versions a key holds (see
 * range-walk.ts, which backends with an ordered key index reuse). The
 * returned cursor resumes after the page's last key; `undefined` means the
 * range is exhausted. A page holding `limit` entries always carries a cursor
 * (the next page may turn out empty); a page holding fewer never does. Keys
 * with no version at or below the read version produce no entry and are
 * stepped over within the page. A cursor is a position, not a snapshot: a
 * key written after it shows up in later pages. The base checks what a
 * range walk needs to end (at most `limit` entries, a cursor exactly when
 * the page is full, a cursor past the one given) and reports a page that
 * breaks it as `TIER_IO`.
 *
 * ## Horizons
 *
 * Erasing versions changes what reads at some older versions would answer,
 * so the store records, per key, the interval of versions whose reads it
 * must refuse: a {@link Horizon} `[erasedFrom, readableFrom)`. The tier keeps
 * it beside the data and knows nothing of what it means:
 *
 * ```
 *   drop(erasures, horizons)       erase the pairs AND widen the horizons, one atomic step
 *   horizon(table, key)            the key's horizon, or undefined
 *   readableFloor(table)           the highest readableFrom of the table (0: none);
 *                                  reads at or above it need no horizon lookup
 *   horizonPage(table, request)    the keys of a range whose horizon reaches above
 *                                  request.version (readableFrom > version): every
 *                                  key a read at that version may have to refuse,
 *                                  and every key an erasure changed above it;
 *                                  paged like page()
 * ```
 *
 * A drop may also raise the table's **erased top** (`erasedTop(table)`, 0:
 * none; the `erasedTops` of the drop's state change, see "Store state"), a
 * number the tier only keeps (durably, in the same atomic step) and never
 * lowers; `clearTable` resets it: the store records there the highest version at which an
 * erasure changed the table's history (an erased version, or where a
 * deletion took effect), so that a change feed from at or above it knows,
 * in constant time, that nothing it would list was erased (store/changes.ts).
 *
 * A horizon only widens: recording one for a key that has one keeps the
 * lower `erasedFrom` and the higher `readableFrom`. A key keeps its horizon
 * when its last version is erased (a fully erased key is still refused
 * there), and `clearTable` forgets the table's horizons with its entries.
 * A durable tier keeps horizons and floors across reopening, and writes them
 * in the same transaction as the erasure, so that a crash never leaves
 * erased versions without their horizon.
 *
 * ## Trimming on set
 *
 * A table with a retention policy keeps at most N versions per key. A tier
 * whose `trimsOnSet` is true applies it inside `set`: given a `retention`
 * (per table, its N; and a `trimmed` observer), once the writes of such a
 * table are done the tier erases, for each key they wrote (once, however
 * many writes it had), every version but its N highest, in the same atomic
 * step as the writes, exactly as a `drop` of those pairs with their
 * horizon and erased top would:
 *
 * ```
 *   key "s" holds v3 v7; set(9, { t: [s="x"] }, observe, change, { keep: {t: 1}, trimmed })
 *     write s@9 (observe told first)   ─► s: v3 v7 v9
 *     erase v3 v7                      ─► s: v9
 *     widen horizon [3, 9), raise erased top to 7
 *     trimmed("t", s, [v3, v7 sizes], [3, 9))   then change.figures()
 * ```
 *
 * The horizon is `[oldest erased, oldest kept)` and the erased top the
 * highest erased version. The store only asks for it when no open snapshot
 * could read an erased version; a tier that leaves `trimsOnSet` false never
 * sees a `retention` (the store queues drop requests instead), so trimming
 * is optional for a backend.
 *
 * ## Erasing oldest versions
 *
 * Erasures only ever take a key's oldest versions (the store's rule), so
 * `drop` may also be given them key by key, as a bound instead of a list
 * of pairs: per table, `{ key, below }` erases every stored version of
 * `key` below `below`, in the same step as the pairs, horizons and state
 * change. The tier tells the `erased` observer of each version it erased
 * (with its value size, ascending within a key) before `change.figures`
 * is called, so the store counts what actually went without reading the
 * key's sizes first:
 *
 * ```
 *   key "k" holds v2 v5 v8; drop(pairs, horizons, change, { keys: {t: [{k, below: 8}]}, erased })
 *     erase v2 v5                 ─► k: v8
 *     erased(t, {k, below: 8}, 2, size), erased(t, ..., 5, size)   then change.figures()
 * ```
 *
 * The pairs go first, then the bounds in order: each erased version is
 * told once, never one a pair of the step or an earlier bound of the same
 * key took. A backend that sets `erasesPrefixes` does it in its own pass over the
 * key; for the others the base reads each key's sizes and erases the
 * versions below the bound as pairs (telling the observer first). A bound
 * above every version erases the key. `getVersions` lists a key's versions
 * without their sizes, for planning such an erasure.
 *
 * ## Changes
 *
 * `changePage` lists the stored writes (tombstones included) of a key range
 * whose version is in `(from, to]`, in (version, key) order, paged like
 * `page` with a cursor of (version, key). A tier answers it from an index by
 * version that its `set` and `drop` keep up to date in the same atomic step
 * (an erased version leaves the index with its entry), so that a page costs
 * O(limit) plus the writes of the table it steps over in that version
 * interval, never a walk of every key. The store builds its change feed,
 * its diffs and the history check of both on it (store/changes.ts):
 *
 * ```
 *   changePage(table, request)    request: start?, end?, from, to, limit, cursor?
 *     -> { entries: [k@v ...] in (version, key) order, cursor: {lastVersion, lastKey} | undefined }
 * ```
 *
 * The page rules are those of `page`: at most `limit` entries, a cursor
 * exactly when the page is full, a cursor past the one given; a page that
 * breaks them is `TIER_IO`. `changePageOf` (tier/changes.ts) answers it from
 * all of a table's stored versions, for small tiers.
 * ## Store state
 *
 * Beside its data a tier keeps what the store needs to reopen it without
 * reading the data: the statistics figures of each table and the store's
 * log (records of drop requests acknowledged but not applied yet). Both
 * change only through the optional {@link StateChange} of `set` and `drop`,
 * in the same atomic step as the writes or erasures (one SQLite
 * transaction), so they always describe exactly the data beside them:
 *
 * ```
 *   commit:  tier.set(v, writes, observe, { figures: () => after, log: [record] })
 *   flush:   tier.drop(pairs, horizons, { figures: () => after, forget: [seq...], erasedTops })
 *   open:    tier.readFigures(), tier.readLog()      O(tables + records), no data read
 * ```
 *
 * The tier calls `figures` once, inside the step and after the writes (the
 * write observer has been told everything), and keeps the figures it returns
 * for each table named; `log` records are added (or replace the record of
 * the same `seq`); `forget` removes records. The tier never interprets
 * either: figures are the store's arithmetic, records its bytes. `clearTable`
 * forgets the figures of the table it empties. A tier that has nowhere else
 * to keep them keeps them in memory ({@link KeptState}, kept-state.ts). A
 * drop's `erasedTops` raise the tables' erased tops (above) in the same
 * step; `set` refuses them.
 *
 * A tier whose storage ends with it (`persistent` false: memory) is never
 * opened again, so nothing would ever read its log: the store hands such a
 * tier no log records (figures still, which `stats()` and `verify()` read).
 *
 * ## Read-only tiers and snapshots
 *
 * A tier may be read-only (`readOnly`, e.g. a SQLite file opened beside the
 * writer of another process): its writes throw `READ_ONLY` after
 * validation. `snapshot()` gives a view that reads one consistent state
 * until released; a tier whose state can only change through its own calls
 * (memory, the SQLite writer) returns itself, a read-only SQLite tier a
 * read transaction on a connection of its own. `backup(path)` copies the
 * storage to a new file, where a tier can (SQLite); the others refuse.
 *
 * ## Extending the contract
 *
 * A new capability is one public method here (open check, validation, then
 * the raw call through `#io`) plus one protected raw method: abstract when
 * every backend must provide it, or with a default built on the others (as
 * `_getVersionSizes` is) when one exists. Its cases go in the contract suite
 * (src/tier-test/), which every backend runs.
 *
 * @module
 */

import { bytesToBinaryString, compareBytes, describe, isReadableBytes } from '../common/bytes.js';
import {
  InvalidInputError,
  isStoreError,
  StoreClosedError,
  type StoreError,
  TierIoError,
} from '../common/errors.js';
import { checkVersion } from '../common/version.js';
import { compareChanges } from './changes.js';
import type {
  ChangePage,
  ChangeQuery,
  ChangeRequest,
  CompactResult,
  Horizon,
  HorizonPage,
  LogRecord,
  PageQuery,
  PageRequest,
  RangeCursor,
  RangePage,
  StateChange,
  TableFigures,
  TierDrop,
  TierDrops,
  TierEntry,
  TierHorizons,
  TierPrefixDrops,
  TierPrefixErasure,
  TierReader,
  TierRetention,
  TierSnapshot,
  TierWrites,
  VersionEntry,
  VersionSize,
  WriteObserver,
} from './tier.js';
import {
  checkBackupPath,
  checkChange,
  checkChangePage,
  checkDrops,
  checkHorizons,
  checkKey,
  checkObserver,
  checkPage,
  checkPrefixes,
  checkRetention,
  checkSetting,
  checkSettingWrite,
  checkTableName,
  checkWrites,
} from './validate.js';

/**
 * A storage tier: the contract the store relies on, validated once for every
 * backend. Extend it and implement the protected `_`-methods; see the module
 * documentation for the rules each must follow.
 */
export abstract class AbstractTier implements TierReader {
  /** Which backend this is (`memory`, `sqlite`, or a custom tier's own name). */
  abstract readonly kind: string;
  #closed = false;
  /** The open write group's listener (see "Write groups"). */
  #group: ((error: StoreError | undefined) => void) | undefined;
  /** A group end that failed: every later call but `close` throws it. */
  #broken: StoreError | undefined;

  /** True for a tier that refuses writes (`READ_ONLY`); false unless a backend says so. */
  readonly readOnly: boolean = false;

  /**
   * False for a tier whose storage ends when it closes (memory): no later
   * open reads its log, so the store keeps none there (see "Store state").
   * True unless a backend says so.
   */
  readonly persistent: boolean = true;

  /**
   * True for a tier whose `set` trims retention tables in its own step (a
   * `retention` argument; see "Trimming on set"). False unless a backend
   * says so: the store then queues a drop request per retention write.
   */
  readonly trimsOnSet: boolean = false;

  /**
   * True for a tier whose `_drop` erases the prefixes of a `drop` itself
   * (see "Erasing oldest versions"). False unless a backend says so: the
   * base then reads each such key's versions and erases them as pairs.
   */
  readonly erasesPrefixes: boolean = false;

  /**
   * The newest entry of `key` at or below `version`, or `undefined`. The
   * entry's key and value are fresh arrays the caller owns (never `key` itself).
   */
  get(table: string, key: Uint8Array, version: number): TierEntry | undefined {
    this.#checkTable(table);
    checkKey(key);
    const at = checkVersion(version);
    try {
      // Inline rather than through #io: the hot read path, no closure per call.
      return this._get(table, key, at);
    } catch (error) {
      throw this.#failure('read', error);
    }
  }

  /**
   * Write every table's entries at `version`, atomically. Creates tables that
   * do not exist yet (even for an empty list). Records `version` as seen even
   * when `writes` is empty. With an `observe` callback, tells it what each
   * write finds (see {@link WriteObserver}); if `set` throws, nothing was
   * written and what the observer heard is void. `change` is applied in the
   * same atomic step (see "Store state"), and so is the trimming a
   * `retention` asks for (see "Trimming on set"; `INVALID_ARGUMENT` on a
   * tier whose `trimsOnSet` is false).
   */
  set(
    version: number,
    writes: TierWrites,
    observe?: WriteObserver,
    change?: StateChange,
    retention?: TierRetention,
  ): void {
    this.#assertOpen();
    const at = checkVersion(version);
    checkWrites(writes);
    checkObserver(observe);
    const checked = checkChange(change);
    if (checked?.erasedTops !== undefined) {
      throw new InvalidInputError('INVALID_ARGUMENT', 'erasedTops belong to drop, not set');
    }
    const trim = checkRetention(retention);
    if (trim !== undefined && !this.trimsOnSet) {
      throw new InvalidInputError('INVALID_ARGUMENT', `the ${this.kind} tier does not trim on set`);
    }
    try {
      this.#io('write', () => this._set(at, writes, observe, checked, trim));
    } catch (error) {
      // The failure took the group's whole transaction with it: its earlier
      // sets are gone, so the group ends failed now (and nothing is written
      // outside it before its end).
      if (this.#group !== undefined && this._groupLost()) this.#settleGroup(error);
      throw error;
    }
  }

  /**
   * One page of a key range at a version; see "Ranges" in the module
   * documentation. A backend page that breaks the page and cursor rules is
   * `TIER_IO`: whoever follows cursors (a store range) must come to an end.
   */
  page(table: string, request: PageRequest): RangePage {
    this.#checkTable(table);
    const query = checkPage(request);
    return this.#io('read a range', () => checkPageRules(this._page(table, query), query, '_page'));
  }

  /** Every stored version of `key`, newest first, tombstones included. */
  getAllVersions(table: string, key: Uint8Array): VersionEntry[] {
    this.#checkTable(table);
    checkKey(key);
    return this.#io('read', () => this._getAllVersions(table, key));
  }

  /** The versions and value sizes of `key`, newest first, without reading the values. */
  getVersionSizes(table: string, key: Uint8Array): VersionSize[] {
    this.#checkTable(table);
    checkKey(key);
    return this.#io('read', () => this._getVersionSizes(table, key));
  }

  /**
   * Physically erase the given `(key, version)` pairs and, per key of
   * `prefixes`, every version below its bound (see "Erasing oldest
   * versions"), and widen the given horizons, atomically, with `change` in
   * the same step (see "Store state"; its `erasedTops` raise the tables'
   * erased tops). Missing pairs are ignored.
   */
  drop<E extends TierPrefixErasure>(
    drops: TierDrops,
    horizons?: TierHorizons,
    change?: StateChange,
    prefixes?: TierPrefixDrops<E>,
  ): void {
    this.#assertOpen();
    checkDrops(drops);
    const checkedHorizons = checkHorizons(horizons);
    const checked = checkChange(change);
    const checkedPrefixes = checkPrefixes(prefixes);
    this.#settleGroup();
    if (checkedPrefixes === undefined || this.erasesPrefixes) {
      this.#io('drop', () => this._drop(drops, checkedHorizons, checked, checkedPrefixes));
      return;
    }
    this.#io('drop', () => {
      const pairs = this.#prefixPairs(drops, checkedPrefixes);
      this._drop(pairs, checkedHorizons, checked);
    });
  }

  /**
   * The versions of `key`, newest first, tombstones included (what
   * `getVersionSizes` lists, without the sizes): a fresh array.
   */
  getVersions(table: string, key: Uint8Array): number[] {
    this.#checkTable(table);
    checkKey(key);
    return this.#io('read', () => this._getVersions(table, key));
  }

  /**
   * `drops` plus, for a backend that does not erase prefixes itself, the
   * pairs of `prefixes`, each told to the observer (ascending per key)
   * before the step runs: a step that then fails voids what it heard.
   */
  #prefixPairs<E extends TierPrefixErasure>(
    drops: TierDrops,
    prefixes: TierPrefixDrops<E>,
  ): TierDrops {
    const pairs = new Map<string, TierDrop[]>();
    for (const [table, list] of drops) pairs.set(table, list.slice());
    for (const [table, erasures] of prefixes.keys) {
      let list = pairs.get(table);
      if (list === undefined) {
        list = [];
        pairs.set(table, list);
      }
      // What the step erases already (its pairs go first, and a key may be named
      // twice): the sizes are read before any of it goes, so skip those, as a
      // tier erasing them in turn would not find them.
      const taken = new Set(list.map((pair) => pairId(pair.key, pair.version)));
      for (const erasure of erasures) {
        const sizes = this._getVersionSizes(table, erasure.key);
        for (let at = sizes.length - 1; at >= 0; at--) {
          const { version, valueBytes } = sizes[at] as VersionSize;
          if (version >= erasure.below) break;
          const id = pairId(erasure.key, version);
          if (taken.has(id)) continue;
          taken.add(id);
          list.push({ key: erasure.key, version });
          prefixes.erased(table, erasure, version, valueBytes);
        }
      }
    }
    return pairs;
  }

  /**
   * The highest erased top recorded for the table (0 when none): no erasure
   * changed its history above it. A backend that does not record tops
   * answers its readable floor, which bounds them too. Constant time.
   */
  erasedTop(table: string): number {
    this.#checkTable(table);
    return this.#io('read the erased top', () => this._erasedTop(table));
  }

  /** The horizon of `key` in `table`, or `undefined` when none was recorded. */
  horizon(table: string, key: Uint8Array): Horizon | undefined {
    this.#checkTable(table);
    checkKey(key);
    return this.#io('read a horizon', () => this._horizon(table, key));
  }

  /**
   * The highest `readableFrom` of the table's horizons (0 when it has none):
   * no horizon refuses a read at or above it. Constant time.
   */
  readableFloor(table: string): number {
    this.#checkTable(table);
    try {
      // Inline rather than through #io: every read below the latest version asks.
      return this._readableFloor(table);
    } catch (error) {
      throw this.#failure('read the readable floor', error);
    }
  }

  /**
   * One page of the keys of a range whose horizon reaches above
   * `request.version` (`readableFrom > version`), in key order (or reverse);
   * cursors and limits as for {@link page}.
   */
  horizonPage(table: string, request: PageRequest): HorizonPage {
    this.#checkTable(table);
    const query = checkPage(request);
    return this.#io('read horizons', () =>
      checkPageRules(this._horizonPage(table, query), query, '_horizonPage'),
    );
  }

  /**
   * One page of the stored writes of a key range with a version in
   * `(request.from, request.to]`, in (version, key) order; see "Changes" in
   * the module documentation. A backend page that breaks the page and cursor
   * rules is `TIER_IO`.
   */
  changePage(table: string, request: ChangeRequest): ChangePage {
    this.#checkTable(table);
    const query = checkChangePage(request);
    return this.#io('read changes', () =>
      checkChangePageRules(this._changePage(table, query), query),
    );
  }

  /** Create the table if it does not exist. */
  ensureTable(table: string): void {
    this.#checkTable(table);
    this.#settleGroup();
    this.#io('create a table', () => this._ensureTable(table));
  }

  /**
   * Erase every entry and horizon of the table (the table itself remains; an
   * unknown table stays unknown).
   */
  clearTable(table: string): void {
    this.#checkTable(table);
    this.#settleGroup();
    this.#io('clear a table', () => this._clearTable(table));
  }

  /** Names of every table this tier holds, sorted (a new array the caller owns). */
  tables(): string[] {
    this.#assertOpen();
    return this.#io('list tables', () => {
      const names = this._tables();
      if (!Array.isArray(names)) throw new TypeError(`_tables returned ${describe(names)}`);
      return [...names].sort();
    });
  }

  /** The highest version ever passed to `set` (0 when none); survives reopening a file. */
  latestVersion(): number {
    this.#assertOpen();
    return this.#io('read the latest version', () => this._latestVersion());
  }

  /**
   * A setting the store keeps beside its data (its table declarations), or
   * `undefined` when never written. Durable in a file tier.
   */
  readSetting(name: string): string | undefined {
    this.#assertOpen();
    checkSetting(name);
    return this.#io('read a setting', () => this._readSetting(name));
  }

  /** Write a setting, atomically (and durably in a file tier). */
  writeSetting(name: string, value: string): void {
    this.#assertOpen();
    checkSettingWrite(name, value);
    this.#settleGroup();
    this.#io('write a setting', () => this._writeSetting(name, value));
  }

  /**
   * Give back to the system the space that drops freed (a file tier shrinks
   * its file); the entries are unchanged. Returns the storage size before
   * and after, when the tier can measure it.
   */
  compact(): CompactResult {
    this.#assertOpen();
    this.#settleGroup();
    return this.#io('compact', () => checkCompactResult(this._compact()));
  }

  /** The figures kept for each table (see "Store state"): what the last steps handed over. */
  readFigures(): Map<string, TableFigures> {
    this.#assertOpen();
    return this.#io('read the figures', () => this._readFigures());
  }

  /** The log records kept (see "Store state"), by increasing `seq`. */
  readLog(): LogRecord[] {
    this.#assertOpen();
    return this.#io('read the log', () => this._readLog()).sort((a, b) => a.seq - b.seq);
  }

  /**
   * A view reading one consistent state of this tier until released (see
   * "Read-only tiers and snapshots"). Release it once done: a read-only
   * SQLite snapshot holds a read transaction.
   */
  snapshot(): TierSnapshot {
    this.#assertOpen();
    this.#settleGroup();
    return this.#io('take a snapshot', () => this._snapshot());
  }

  /**
   * Copy the storage, consistently, to a new file at `path` (which must not
   * exist), while the tier stays in use. Tiers without a file refuse
   * (`INVALID_ARGUMENT`).
   */
  async backup(path: string): Promise<void> {
    this.#assertOpen();
    const target = checkBackupPath(path);
    this.#settleGroup();
    try {
      await this._backup(target);
    } catch (error) {
      throw this.#failure('back up', error);
    }
  }

  /** Release resources; every later call throws `STORE_CLOSED`. Closing twice is harmless. */
  close(): void {
    if (this.#closed) return;
    try {
      if (this.#broken === undefined) this.#settleGroup();
    } finally {
      this.#closed = true;
      this.#io('close', () => this._close());
    }
  }

  /**
   * Open a write group (see "Write groups"): the `set`s until it ends share
   * one storage transaction and become durable together. `ended` hears the
   * end: `undefined` once committed, or the `TIER_IO` error of a failed
   * commit. Returns false, opening nothing, on a tier whose `set`s are each
   * durable on their own (the default: memory) or that is read-only.
   * `INVALID_ARGUMENT` when `ended` is not a function or a group is open.
   */
  beginGroup(ended: (error: StoreError | undefined) => void): boolean {
    this.#assertOpen();
    if (typeof ended !== 'function') {
      throw new InvalidInputError(
        'INVALID_ARGUMENT',
        `ended must be a function, got ${describe(ended)}`,
      );
    }
    if (this.#group !== undefined) {
      throw new InvalidInputError('INVALID_ARGUMENT', 'a write group is open already');
    }
    if (this.readOnly || !this.#io('begin a write group', () => this._beginGroup())) return false;
    this.#group = ended;
    return true;
  }

  /** True while a write group is open. */
  get inGroup(): boolean {
    return this.#group !== undefined;
  }

  /**
   * End the open write group (nothing when none is open): commit it, tell
   * its listener, and throw its `TIER_IO` error if the commit failed (the
   * tier then refuses every call but `close`).
   */
  endGroup(): void {
    this.#assertOpen();
    this.#settleGroup();
  }

  /** Raw `get`: `undefined` for an unknown table or key; the entry's key a fresh array, never `key`. */
  protected abstract _get(table: string, key: Uint8Array, version: number): TierEntry | undefined;

  /**
   * Raw `set`: all or nothing, `change` and `retention` included; tell
   * `observe` (if given) about each write before applying it, trim after
   * it (a backend whose `trimsOnSet` is true; see "Trimming on set"), and
   * call `change.figures` after all of them.
   */
  protected abstract _set(
    version: number,
    writes: TierWrites,
    observe?: WriteObserver,
    change?: StateChange,
    retention?: TierRetention,
  ): void;

  /** Raw `page`: an empty page for an unknown table. */
  protected abstract _page(table: string, query: PageQuery): RangePage;

  /** Raw `getAllVersions`: `[]` for an unknown table or key. */
  protected abstract _getAllVersions(table: string, key: Uint8Array): VersionEntry[];

  /** Raw `getVersionSizes`; by default derived from `_getAllVersions` (override to skip reading values). */
  protected _getVersionSizes(table: string, key: Uint8Array): VersionSize[] {
    return this._getAllVersions(table, key).map(({ version, value }) => ({
      version,
      valueBytes: value?.length,
    }));
  }

  /** Raw `getVersions`; by default derived from `_getVersionSizes`. */
  protected _getVersions(table: string, key: Uint8Array): number[] {
    return this._getVersionSizes(table, key).map((entry) => entry.version);
  }

  /**
   * Raw `drop`: ignore unknown tables and missing pairs; forget a key's
   * entries once it has no version; widen the given horizons (keeping them
   * for keys with no version left); apply `change` in the same step; all or
   * nothing. A backend whose `erasesPrefixes` is true is given `prefixes`
   * too (erase them after the pairs, telling their observer, before
   * `change.figures`); the others never are.
   */
  protected abstract _drop<E extends TierPrefixErasure>(
    drops: TierDrops,
    horizons: TierHorizons | undefined,
    change?: StateChange,
    prefixes?: TierPrefixDrops<E>,
  ): void;

  /**
   * Raw `erasedTop`. The default answers the readable floor: every erased
   * version and deletion lies below some horizon's `readableFrom`, so a
   * backend that keeps no tops loses precision, never safety.
   */
  protected _erasedTop(table: string): number {
    return this._readableFloor(table);
  }

  /** Raw `horizon`: `undefined` for an unknown table or key. */
  protected abstract _horizon(table: string, key: Uint8Array): Horizon | undefined;

  /** Raw `readableFloor`: 0 for an unknown table. */
  protected abstract _readableFloor(table: string): number;

  /** Raw `horizonPage`: an empty page for an unknown table. */
  protected abstract _horizonPage(table: string, query: PageQuery): HorizonPage;

  /** Raw `changePage`: an empty page for an unknown table. */
  protected abstract _changePage(table: string, query: ChangeQuery): ChangePage;

  /** Raw `ensureTable`: create the table if missing. */
  protected abstract _ensureTable(table: string): void;

  /** Raw `clearTable`: a no-op for an unknown table. */
  protected abstract _clearTable(table: string): void;

  /** Raw `tables`: every table name, in any order. */
  protected abstract _tables(): string[];

  /** Raw `latestVersion`. */
  protected abstract _latestVersion(): number;

  /** Raw `readSetting`. */
  protected abstract _readSetting(name: string): string | undefined;

  /** Raw `writeSetting`. */
  protected abstract _writeSetting(name: string, value: string): void;

  /**
   * Raw `compact`; by default nothing to give back (a tier whose drops free
   * their space as they go), sizes unknown.
   */
  protected _compact(): CompactResult {
    return NOTHING_COMPACTED;
  }

  /** Raw `readFigures`: a fresh map the caller owns. */
  protected abstract _readFigures(): Map<string, TableFigures>;

  /** Raw `readLog`: the kept records, in any order (the base sorts). */
  protected abstract _readLog(): LogRecord[];

  /** Raw `snapshot`; by default the tier itself, released by doing nothing. */
  protected _snapshot(): TierSnapshot {
    return { tier: this, release: () => undefined };
  }

  /** Raw `backup`; by default refused: this tier keeps no file to copy. */
  protected _backup(_path: string): Promise<void> {
    return Promise.reject(
      new InvalidInputError('INVALID_ARGUMENT', `the ${this.kind} tier has no file to back up`),
    );
  }

  /** Raw `close`, called once; by default nothing to release. */
  protected _close(): void {}

  /**
   * Raw `beginGroup`: start the storage transaction the next `set`s share
   * (each then all or nothing inside it) and return true; by default false,
   * no groups.
   */
  protected _beginGroup(): boolean {
    return false;
  }

  /** Raw `endGroup`: commit the group's transaction, durably; if that fails, undo it and throw. */
  protected _endGroup(): void {}

  /**
   * After a `_set` of the open group failed: true when the failure undid the
   * group's whole transaction, not only that set (SQLite does so on a full
   * disk or an I/O error); by default false.
   */
  protected _groupLost(): boolean {
    return false;
  }

  /**
   * End the open group, if any: commit, tell its listener; a failure breaks
   * the tier. `lost`: the error that already undid the group (no commit).
   */
  #settleGroup(lost?: unknown): void {
    const ended = this.#group;
    if (ended === undefined) return;
    this.#group = undefined;
    let failure: StoreError | undefined;
    try {
      if (lost !== undefined) throw lost;
      this._endGroup();
    } catch (error) {
      failure = new TierIoError(
        `the ${this.kind} tier failed to commit a write group: ${error instanceof Error ? error.message : describe(error)}`,
        error,
      );
      this.#broken = failure;
    }
    ended(failure);
    if (failure !== undefined) throw failure;
  }

  #checkTable(table: string): void {
    this.#assertOpen();
    checkTableName(table);
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError('tier');
    if (this.#broken !== undefined) throw this.#broken;
  }

  #io<T>(what: string, action: () => T): T {
    try {
      return action();
    } catch (error) {
      throw this.#failure(what, error);
    }
  }

  /** A StoreError as it is; anything else as a `TIER_IO` error with it as cause. */
  #failure(what: string, error: unknown): unknown {
    if (isStoreError(error)) return error;
    const reason = error instanceof Error ? error.message : describe(error);
    return new TierIoError(`the ${this.kind} tier failed to ${what}: ${reason}`, error);
  }
}

const NOTHING_COMPACTED: CompactResult = Object.freeze({
  bytesBefore: undefined,
  bytesAfter: undefined,
});

/** A backend's compact result: each size a non-negative safe integer or undefined. */
function checkCompactResult(result: CompactResult): CompactResult {
  const sizes = [result?.bytesBefore, result?.bytesAfter];
  if (
    typeof result !== 'object' ||
    result === null ||
    sizes.some((n) => n !== undefined && !(Number.isSafeInteger(n) && (n as number) >= 0))
  ) {
    throw new TypeError(`_compact returned ${describe(result)}, not a CompactResult`);
  }
  return Object.freeze({ bytesBefore: result.bytesBefore, bytesAfter: result.bytesAfter });
}

/**
 * What a range walk relies on to end, checked in O(1) per page: at most
 * `limit` entries, a cursor exactly when the page is full, and a cursor that
 * moves past the one the page resumed from (a backend ignoring the cursor
 * would hand out the same page forever).
 */
function checkPageRules<P extends RangePage | HorizonPage>(
  page: P,
  query: PageQuery,
  method: '_page' | '_horizonPage',
): P {
  const entries = (page as Partial<P> | undefined)?.entries;
  if (!Array.isArray(entries))
    throw new TypeError(`${method} returned ${describe(page)}, not a page`);
  if (entries.length > query.limit) {
    throw new TypeError(
      `${method} returned ${entries.length} entries for a limit of ${query.limit}`,
    );
  }
  const { cursor } = page;
  if ((cursor !== undefined) !== (entries.length === query.limit)) {
    throw new TypeError(`${method} must return a cursor exactly when the page is full`);
  }
  if (cursor === undefined) return page;
  if (!isReadableBytes((cursor as Partial<RangeCursor>).lastKey)) {
    throw new TypeError(`${method} returned a cursor without a lastKey`);
  }
  if (query.cursor !== undefined) {
    const order = compareBytes(cursor.lastKey, query.cursor.lastKey);
    if (query.reverse ? order >= 0 : order <= 0) {
      throw new TypeError(
        `${method} returned a cursor that does not move past the one it was given`,
      );
    }
  }
  return page;
}

/** The page rules of {@link AbstractTier.changePage}, checked in O(1) per page. */
function checkChangePageRules(page: ChangePage, query: ChangeQuery): ChangePage {
  const entries = (page as Partial<ChangePage> | undefined)?.entries;
  if (!Array.isArray(entries))
    throw new TypeError(`_changePage returned ${describe(page)}, not a page`);
  if (entries.length > query.limit) {
    throw new TypeError(
      `_changePage returned ${entries.length} entries for a limit of ${query.limit}`,
    );
  }
  const { cursor } = page;
  if ((cursor !== undefined) !== (entries.length === query.limit)) {
    throw new TypeError('_changePage must return a cursor exactly when the page is full');
  }
  if (cursor === undefined) return page;
  if (!isReadableBytes(cursor.lastKey) || typeof cursor.lastVersion !== 'number') {
    throw new TypeError('_changePage returned a cursor without a lastVersion and lastKey');
  }
  const previous = query.cursor;
  if (
    previous !== undefined &&
    compareChanges(
      { version: cursor.lastVersion, key: cursor.lastKey },
      { version: previous.lastVersion, key: previous.lastKey },
    ) <= 0
  ) {
    throw new TypeError(
      '_changePage returned a cursor that does not move past the one it was given',
    );
  }
  return page;
}

/** A `(key, version)` pair as one string, for a set of pairs. */
function pairId(key: Uint8Array, version: number): string {
  return `${version}:${bytesToBinaryString(key)}`;
}

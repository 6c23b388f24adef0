/**
 * The API fuzz's model of open transactions: what the README says a
 * transaction call must do given what happened before it, written out again
 * (nothing imported from the store's transaction code).
 *
 * ```
 *   slots       up to two transactions: read version, base, read-only,
 *               serializable, maxAgeMs (on the case's MockClock), their
 *               buffered writes and drops, the keys and ranges they read
 *   commits     every accepted commit's version and keys (writes and drops)
 *
 *   ended (commit, rollback)      ─► TRANSACTION_CLOSED (rollback is always fine)
 *   older than maxAgeMs           ─► TRANSACTION_TOO_OLD
 *   a write, read-only            ─► TRANSACTION_READ_ONLY   (before its input is looked at)
 *   commit: a commit above the base wrote (or dropped) a key it writes or drops,
 *           or (serializable) a key it read or one inside a range it read
 *                                 ─► TRANSACTION_CONFLICT
 *           (store.transaction(fn) alike, its base min(asOf, latest): with a
 *           fixed asOf every retry conflicts again)
 *   an explicit version at or below max(read, base) of another open snapshot
 *                                 ─► SNAPSHOT_VIOLATION
 *   an explicit version where history was erased ─► VERSION_TOO_OLD (the store model says where)
 * ```
 *
 * "A commit above the base" is judged as the README says the store judges
 * it. Commits are remembered one by one only above a floor: at each commit
 * the floor rises to the lowest base of the read-write transactions open
 * (the committing one included), or to the latest version when none is.
 * A transaction begun as of a version below the floor (`asOf` in the past)
 * is judged over `(base, floor]` by stored history instead, through the
 * store model: a key changed there if its newest stored version, the end
 * of its erased history, or a drop request not applied yet lies above the
 * base. So a commit that only dropped versions, changing nothing readable
 * above the base, is no conflict once forgotten:
 *
 * ```
 *   base 4            floor 9           latest 12
 *     |── history ─────|── commits ──────|
 * ```
 *
 * @module
 */

import { binaryStringToBytes, bytesToBinaryString, prefixEnd } from '../../common/bytes.js';
import type { Transaction } from '../../store/transaction.js';
import type { KeyModelDelta, StoreModel } from '../../test-support/store-model.js';
import { acceptedBytes } from './fuzz-materialize.js';
import { ACCEPT, type Prediction, reject } from './fuzz-predict.js';

/** One open (or ended) transaction, as the model sees it. */
export interface TxState {
  readonly tx: Transaction;
  readonly readOnly: boolean;
  readonly serializable: boolean;
  readonly base: number;
  version: number;
  /** Reads "before everything" (`asOf(0, { exclusive: true })`). */
  beforeAll: boolean;
  readonly maxAgeMs: number | undefined;
  readonly openedAt: number;
  ended: boolean;
  /** The last write of each key, in buffer form. */
  readonly writes: Map<string, KeyModelDelta>;
  readonly drops: KeyModelDelta[];
  readonly readKeys: Set<string>;
  readonly ranges: ((key: string) => boolean)[];
}

/** A range argument the store accepted, as bounds over binary-string keys. */
export interface AcceptedRange {
  readonly start: Uint8Array | undefined;
  readonly end: Uint8Array | undefined;
  readonly endInclusive: boolean;
}

/** The bounds of an accepted range spec (a prefix becomes `[prefix, prefixEnd)`). */
export function acceptedRange(range: unknown): AcceptedRange {
  const { start, end, prefix, endInclusive } = (range ?? {}) as Record<string, unknown>;
  const bytes = (input: unknown) => (input === undefined ? undefined : acceptedBytes(input, 'key'));
  const wanted = bytes(prefix);
  if (wanted !== undefined) return { start: wanted, end: prefixEnd(wanted), endInclusive: false };
  return { start: bytes(start), end: bytes(end), endInclusive: endInclusive === true };
}

/** The transactions of one fuzz case. */
export class TxModel {
  readonly slots: (TxState | undefined)[] = [undefined, undefined];
  readonly #commits: { version: number; keys: Set<string> }[] = [];
  /** Commits at or below it are forgotten (the store's conflict records; a fresh store: 0). */
  #floor = 0;
  #latest = 0;
  readonly #now: () => number;

  /** `now` gives the case's clock in milliseconds (a MockClock's, or 0 with a real one). */
  constructor(now: () => number) {
    this.#now = now;
  }

  /** Older than its maxAgeMs: released by the store, its calls fail. */
  expired(state: TxState): boolean {
    return state.maxAgeMs !== undefined && this.#now() - state.openedAt > state.maxAgeMs;
  }

  /** The transactions holding a snapshot now. */
  open(): TxState[] {
    return this.slots.filter((s): s is TxState => s !== undefined && !s.ended && !this.expired(s));
  }

  /** The versions open snapshots read at (what drops must not change). */
  snapshotVersions(): number[] {
    return this.open().map((state) => state.version);
  }

  /** The highest version an explicit commit must stay above, leaving out `except`. */
  highestOpen(except?: TxState): number | undefined {
    let highest: number | undefined;
    for (const state of this.open()) {
      if (state === except) continue;
      const high = state.readOnly ? state.version : Math.max(state.version, state.base);
      if (highest === undefined || high > highest) highest = high;
    }
    return highest;
  }

  /**
   * An accepted commit at `version` wrote or dropped these keys; `committing`
   * is the base of the read-write transaction that made it, open until its
   * commit is recorded (a `tx.commit` or a `store.transaction`).
   */
  recordCommit(version: number, deltas: readonly KeyModelDelta[], committing?: number): void {
    this.#commits.push({ version, keys: new Set(deltas.map((d) => bytesToBinaryString(d.key))) });
    this.#latest = Math.max(this.#latest, version);
    const bases = this.open()
      .filter((state) => !state.readOnly)
      .map((state) => state.base);
    if (committing !== undefined) bases.push(committing);
    const floor = bases.length === 0 ? this.#latest : Math.min(...bases);
    this.#floor = Math.max(this.#floor, floor);
  }

  /** What `store.transaction(fn)` must do when `fn` writes `deltas` (reading nothing) in a transaction based at `base`. */
  transactionCommit(
    base: number,
    deltas: readonly KeyModelDelta[],
    history: StoreModel,
  ): Prediction {
    const subject = { base, serializable: false, readKeys: new Set<string>(), ranges: [] };
    return this.#conflicts(subject, deltas, history)
      ? reject('TRANSACTION_CONFLICT', 'a commit above its base wrote what it writes')
      : ACCEPT;
  }

  /** Start tracking a transaction begun with these settings. */
  begin(
    settings: Omit<TxState, 'writes' | 'drops' | 'readKeys' | 'ranges' | 'ended' | 'beforeAll'>,
  ) {
    return {
      ...settings,
      ended: false,
      beforeAll: false,
      writes: new Map(),
      drops: [],
      readKeys: new Set<string>(),
      ranges: [],
    } satisfies TxState;
  }

  /** What state alone says of a call on `state` (before its input is looked at). */
  usable(state: TxState): Prediction {
    if (state.ended) return reject('TRANSACTION_CLOSED', 'the transaction ended');
    if (this.expired(state)) return reject('TRANSACTION_TOO_OLD', 'older than its maxAgeMs');
    return ACCEPT;
  }

  /** What a commit of `state` (valid input) must do. */
  commit(state: TxState, explicit: number | undefined, history: StoreModel): Prediction {
    if (state.readOnly)
      return explicit === undefined
        ? ACCEPT
        : reject('TRANSACTION_READ_ONLY', 'a read-only commit at a version');
    const deltas = this.deltasOf(state);
    if (deltas.length === 0 && explicit === undefined) return ACCEPT;
    if (this.#conflicts(state, deltas, history))
      return reject('TRANSACTION_CONFLICT', 'a commit above its base wrote what it touched');
    if (explicit === undefined) return nextVersion(history.latestVersion);
    const highest = this.highestOpen(state);
    if (highest !== undefined && explicit <= highest)
      return reject(
        'SNAPSHOT_VIOLATION',
        `version ${explicit} under an open snapshot at ${highest}`,
      );
    return history.refusesWrite(deltas, explicit) === undefined
      ? ACCEPT
      : reject('VERSION_TOO_OLD', "a write below a key's readableFrom");
  }

  /** The transaction's commit as deltas: its writes, then its drops. */
  deltasOf(state: TxState): KeyModelDelta[] {
    return [...state.writes.values(), ...state.drops];
  }

  #conflicts(
    subject: ConflictSubject,
    deltas: readonly KeyModelDelta[],
    history: StoreModel,
  ): boolean {
    const touched = new Set(deltas.map((d) => bytesToBinaryString(d.key)));
    const read = (key: string) =>
      subject.serializable &&
      (subject.readKeys.has(key) || subject.ranges.some((inRange) => inRange(key)));
    for (const commit of this.#commits) {
      if (commit.version <= Math.max(subject.base, this.#floor)) continue;
      for (const key of commit.keys) if (touched.has(key) || read(key)) return true;
    }
    if (subject.base >= this.#floor) return false;
    // Forgotten commits: what stored history says changed above the base.
    const changed = (key: string) =>
      (history.lastChange(binaryStringToBytes(key)) ?? 0) > subject.base;
    if ([...touched].some(changed)) return true;
    if (!subject.serializable) return false;
    const known = history.knownKeys().map(bytesToBinaryString);
    return known.some((key) => read(key) && changed(key));
  }
}

/** What a commit's conflict check looks at. */
type ConflictSubject = Pick<TxState, 'base' | 'serializable' | 'readKeys' | 'ranges'>;

/** An automatic commit after `latest`: fine, unless no version is left. */
export function nextVersion(latest: number): Prediction {
  return latest >= Number.MAX_SAFE_INTEGER
    ? reject('INVALID_VERSION', 'no version is left for an automatic commit')
    : ACCEPT;
}

/** A membership test for an accepted range, over binary-string keys. */
export function rangeTest(range: AcceptedRange): (key: string) => boolean {
  const low = range.start === undefined ? undefined : bytesToBinaryString(range.start);
  const high = range.end === undefined ? undefined : bytesToBinaryString(range.end);
  return (key) =>
    (low === undefined || key >= low) &&
    (high === undefined || key < high || (range.endInclusive && key === high));
}

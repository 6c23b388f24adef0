/**
 * Runs one generated history against a real store and the serial model, and
 * checks every step (see `isolation.test.ts` for the list of checks).
 *
 * ```
 *   op ──► predict (model: the answers a read may give, the outcome of a commit)
 *      ──► run on the store ──► compare ──► record (model, counters)
 * ```
 *
 * Every read's answer must be one the model allows; every commit's outcome
 * (a version, none, TRANSACTION_CONFLICT, SNAPSHOT_VIOLATION,
 * TRANSACTION_TOO_OLD) must be the one the model predicts, exactly; a
 * transaction reading a key twice at one version must get the same answer.
 * At the end, with every transaction over and the drop worker flushed,
 * nothing is parked and the stored versions are the model's survivors.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { isStoreError } from '../../common/errors.js';
import type { MockClock } from '../../runtime/clock.js';
import type { Delta } from '../../store/deltas.js';
import type { MultiStore } from '../../store/multistore.js';
import type { RangeSpec } from '../../store/range.js';
import {
  type Answers,
  BEFORE,
  HistoryModel,
  inModelRange,
  type Key,
  type ModelRange,
  type ModelWrite,
  type Own,
} from './isolation-model.js';
import { KEYS, type Op, RANGES, RETENTION_PREFIX, SLOTS, type WriteOp } from './isolation-ops.js';

type Transaction = ReturnType<MultiStore['begin']>;

/** What the generator reached, summed over runs (the test asserts each is reached). */
export interface Coverage {
  runs: number;
  commits: number;
  writeConflicts: number;
  readConflicts: number;
  writeSkewsCommitted: number;
  parkedSeen: number;
  versionTooOld: number;
  snapshotViolations: number;
  expired: number;
  reopened: number;
  /** Commits a drop-only commit from before the transaction began may or may not have failed. */
  dropOnlyConflicts: number;
}

/** A fresh coverage tally. */
export function emptyCoverage(): Coverage {
  return {
    runs: 0,
    commits: 0,
    writeConflicts: 0,
    readConflicts: 0,
    writeSkewsCommitted: 0,
    parkedSeen: 0,
    versionTooOld: 0,
    snapshotViolations: 0,
    expired: 0,
    reopened: 0,
    dropOnlyConflicts: 0,
  };
}

/** One open transaction as the model sees it. */
interface Slot {
  readonly tx: Transaction;
  readonly readOnly: boolean;
  readonly serializable: boolean;
  readonly base: number | undefined;
  read: number;
  /** Requests committed before the snapshot at `read` was taken. */
  known: number;
  /** Commits in the log when it began. */
  readonly beganAt: number;
  readonly openedAt: number;
  readonly maxAgeMs: number | undefined;
  readonly own: Map<Key, Own & { readonly type: 'set' | 'remove' | 'unset' }>;
  readonly drops: ModelWrite[];
  readonly readKeys: Set<Key>;
  readonly readRanges: ModelRange[];
  /** Keys read from the snapshot (any isolation), for the write-skew tally. */
  readonly observed: Set<Key>;
  /** `key@version` -> the first stable answer read there. */
  readonly seen: Map<string, string>;
}

/** A committed read-write transaction, for the write-skew tally and the audits. */
interface Committed {
  readonly base: number;
  readonly version: number;
  readonly serializable: boolean;
  readonly writes: ReadonlySet<Key>;
  readonly readKeys: ReadonlySet<Key>;
  readonly readRanges: readonly ModelRange[];
  readonly observed: ReadonlySet<Key>;
  readonly beganAt: number;
}

/** How the harness opens (and reopens) its store. */
export interface StoreOpener {
  (): MultiStore;
  /** True when closing and reopening keeps the data (a SQLite file). */
  readonly durable: boolean;
}

/** The maxAgeMs of the transactions odd slots begin on their own. */
const IMPLICIT_MAX_AGE_MS = 10;
/** How many versions back `settle` reads every key. */
const SETTLE_DEPTH = 4;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (key: Key) => encoder.encode(key);

/** Runs one history; see the module documentation. */
export class IsolationHarness {
  readonly model = new HistoryModel((key) => (key.startsWith(RETENTION_PREFIX) ? 1 : undefined));
  readonly #slots: (Slot | undefined)[] = new Array(SLOTS).fill(undefined);
  readonly #committed: Committed[] = [];
  #store: MultiStore;
  #values = 0;

  constructor(
    readonly open: StoreOpener,
    readonly clock: MockClock,
    readonly coverage: Coverage,
  ) {
    this.#store = open();
  }

  /** Run every op, then the final checks; closes the store. */
  async run(ops: readonly Op[]): Promise<void> {
    this.coverage.runs++;
    try {
      for (const [index, step] of ops.entries()) {
        await this.#step(step).catch((error: unknown) => {
          throw annotate(error, `step ${index}: ${JSON.stringify(step)}`);
        });
        this.#checkRegistry();
      }
      await this.#finish();
    } finally {
      await this.#store.close();
    }
  }

  async #step(step: Op): Promise<void> {
    switch (step.op) {
      case 'begin':
        return this.#begin(step);
      case 'read':
        return this.#onSlot(step.slot, (s) => this.#read(s, step.key, step.contains));
      case 'scan':
        return this.#onSlot(step.slot, (s) => this.#scan(s, step.range, step.reverse));
      case 'write':
        return this.#onSlot(step.slot, (s) => this.#write(s, step.write));
      case 'rmw':
        return this.#onSlot(step.slot, (s) => {
          this.#read(s, step.read, false);
          if (this.#slots[step.slot] === s) this.#write(s, { type: 'set', key: step.write });
        });
      case 'cross': {
        const [first, second] = step.slots;
        const [x, y] = step.keys;
        await this.#step({ op: 'rmw', slot: first, read: x, write: y });
        await this.#step({ op: 'rmw', slot: second, read: y, write: x });
        if (!step.commit) return;
        await this.#step({ op: 'commit', slot: first, explicitAhead: undefined });
        return this.#step({ op: 'commit', slot: second, explicitAhead: undefined });
      }
      case 'move':
        return this.#onSlot(step.slot, (s) => this.#move(s, step.back, step.exclusive));
      case 'commit':
        return this.#onSlot(step.slot, (s) => this.#commit(step.slot, s, step.explicitAhead));
      case 'rollback':
        return this.#onSlot(step.slot, (s) => this.#end(step.slot, s));
      case 'plain':
        return this.#plain(step.writes, step.at);
      case 'peek':
        return this.#peek(step.key, step.range, step.back);
      case 'flush':
        return this.#flush();
      case 'settle':
        return this.#settle();
      case 'clock':
        this.clock.advanceMillis(step.ms);
        return;
      case 'reopen':
        return this.#reopen();
    }
  }

  // -- transactions ---------------------------------------------------------

  #begin(step: Extract<Op, { op: 'begin' }>): void {
    if (this.#slots[step.slot] !== undefined) return;
    const latest = this.model.latest;
    const asOf = resolveAsOf(step.asOf, latest);
    const tx = this.#store.begin({
      isolation: step.serializable ? 'serializable' : 'snapshot',
      ...(step.readOnly ? { readOnly: true } : {}),
      ...(asOf === undefined ? {} : { asOf }),
      ...(step.maxAgeMs === undefined ? {} : { maxAgeMs: step.maxAgeMs }),
    });
    const read = asOf ?? latest;
    this.#slots[step.slot] = {
      tx,
      readOnly: step.readOnly,
      serializable: step.serializable,
      base: step.readOnly ? undefined : Math.min(read, latest),
      read,
      known: this.model.requests.length,
      beganAt: this.model.commits.length,
      openedAt: this.clock.nowMillis(),
      maxAgeMs: step.maxAgeMs,
      own: new Map(),
      drops: [],
      readKeys: new Set(),
      readRanges: [],
      observed: new Set(),
      seen: new Map(),
    };
    assert.equal(tx.version, read, 'tx.version is the version it reads at');
  }

  /**
   * Run `fn` on the slot's transaction, beginning one (read-write; slots 0-1
   * snapshot, 2-3 serializable; odd slots with a maxAgeMs) on an empty slot;
   * an expired transaction must refuse with TRANSACTION_TOO_OLD.
   */
  #onSlot(index: number, fn: (slot: Slot) => void): void {
    if (this.#slots[index] === undefined) {
      const serializable = index >= SLOTS / 2;
      this.#begin({
        op: 'begin',
        slot: index,
        readOnly: false,
        serializable,
        asOf: 'latest',
        maxAgeMs: index % 2 === 1 ? IMPLICIT_MAX_AGE_MS : undefined,
      });
    }
    const slot = this.#slots[index] as Slot;
    if (this.#expired(slot)) {
      assert.throws(() => slot.tx.get(bytes('a')), code('TRANSACTION_TOO_OLD'));
      this.coverage.expired++;
      this.#end(index, slot);
      return;
    }
    fn(slot);
  }

  #expired(slot: Slot): boolean {
    return slot.maxAgeMs !== undefined && this.clock.nowMillis() - slot.openedAt > slot.maxAgeMs;
  }

  #end(index: number, slot: Slot): void {
    slot.tx.rollback();
    slot.tx.rollback(); // harmless twice
    this.#slots[index] = undefined;
  }

  #read(slot: Slot, key: Key, contains: boolean): void {
    const own = slot.own.get(key);
    if (own === undefined && slot.serializable && !slot.readOnly) slot.readKeys.add(key);
    const answers = own === undefined ? this.#answers(slot, key) : ownAnswers(own);
    const actual = attempt(() => {
      if (contains) return slot.tx.contains(bytes(key)) ? 'present' : 'absent';
      const entry = slot.tx.get(bytes(key));
      return entry === undefined ? 'absent' : `v:${decoder.decode(entry.value)}`;
    });
    this.#judge(`tx get ${key} at ${slot.read}`, answers, actual);
    if (own !== undefined) return;
    slot.observed.add(key);
    this.#stable(slot, key, actual);
  }

  #scan(slot: Slot, rangeIndex: number, reverse: boolean): void {
    const range = RANGES[rangeIndex] as ModelRange;
    if (slot.serializable && !slot.readOnly) slot.readRanges.push(range);
    const listed = attemptList(() => [...slot.tx.range(specOf(range), { reverse })]);
    const inRange = keysIn(range, reverse);
    if (listed.error !== undefined) {
      const key = this.#tooOldKey(listed.error, inRange, (k) => this.#answers(slot, k));
      this.#stable(slot, key, 'too-old');
      return;
    }
    this.#judgeList(listed.entries, inRange, (k) => {
      const own = slot.own.get(k);
      return own === undefined ? this.#answers(slot, k) : ownAnswers(own);
    });
    for (const k of inRange) {
      if (slot.own.has(k)) continue;
      slot.observed.add(k);
      const entry = listed.entries.find((e) => e.key === k);
      this.#stable(slot, k, entry === undefined ? 'absent' : `v:${entry.value}`);
    }
  }

  #write(slot: Slot, write: WriteOp): void {
    const w = this.#resolveWrite(write);
    if (slot.readOnly) {
      assert.throws(() => applyToTx(slot.tx, w), code('TRANSACTION_READ_ONLY'));
      return;
    }
    applyToTx(slot.tx, w);
    if (w.type === 'drop') slot.drops.push(w);
    else slot.own.set(w.key, { type: w.type, value: w.type === 'set' ? w.value : undefined });
  }

  #move(slot: Slot, back: number, exclusive: boolean): void {
    const version = Math.max(0, this.model.latest - back);
    slot.tx.asOf(version, { exclusive });
    slot.read = exclusive ? (version === 0 ? BEFORE : version - 1) : version;
    slot.known = this.model.requests.length;
    if (slot.read !== BEFORE) assert.equal(slot.tx.version, slot.read);
  }

  #commit(index: number, slot: Slot, explicitAhead: number | undefined): void {
    const writes = writesOf(slot);
    const explicit =
      explicitAhead === undefined || writes.length === 0
        ? undefined
        : this.model.latest + explicitAhead;
    let expected = this.#predictCommit(index, slot, writes, explicit);
    this.#slots[index] = undefined;
    const actual = attempt(() => String(slot.tx.commit(explicit)));
    slot.tx.rollback(); // harmless after the end, whatever it was
    if (expected.includes('|')) {
      assert.ok(expected.split('|').includes(actual), `commit of slot ${index}: ${actual}`);
      expected = actual;
      this.coverage.dropOnlyConflicts++;
    }
    assert.equal(actual, expected, `commit of slot ${index}`);
    if (expected === 'too-old-tx') this.coverage.expired++;
    if (expected === 'violation') this.coverage.snapshotViolations++;
    if (expected === 'conflict') this.#countConflict(slot, writes);
    if (!/^\d+$/.test(expected)) return;
    this.model.commit(Number(expected), writes);
    this.coverage.commits++;
    this.#recordCommitted(slot, writes, Number(expected));
  }

  /** The outcome the rules give: a version, `undefined`, or an error name. */
  #predictCommit(
    index: number,
    slot: Slot,
    writes: ModelWrite[],
    explicit: number | undefined,
  ): string {
    if (this.#expired(slot)) return 'too-old-tx';
    if (slot.readOnly || writes.length === 0) return 'undefined';
    const conflicts = this.#conflicts(slot, writes);
    if (conflicts.certain.length > 0) return 'conflict';
    let outcome = String(explicit ?? this.model.latest + 1);
    if (explicit !== undefined && explicit <= (this.#highestOpen(index) ?? -1))
      outcome = 'violation';
    return conflicts.possible.length > 0 ? `conflict|${outcome}` : outcome;
  }

  #conflicts(slot: Slot, writes: readonly ModelWrite[]) {
    const keys = new Set(writes.map((w) => w.key));
    if (slot.serializable) for (const k of slot.readKeys) keys.add(k);
    return this.model.conflicting(
      slot.base as number,
      keys,
      slot.serializable ? slot.readRanges : [],
      slot.beganAt,
    );
  }

  #countConflict(slot: Slot, writes: readonly ModelWrite[]): void {
    const written = new Set(writes.map((w) => w.key));
    const byWrites =
      this.model.conflicting(slot.base as number, written, [], slot.beganAt).certain.length > 0;
    if (byWrites) this.coverage.writeConflicts++;
    else this.coverage.readConflicts++;
  }

  #recordCommitted(slot: Slot, writes: readonly ModelWrite[], version: number): void {
    const committed: Committed = {
      base: slot.base as number,
      version,
      serializable: slot.serializable,
      writes: new Set(writes.map((w) => w.key)),
      readKeys: new Set(slot.readKeys),
      readRanges: [...slot.readRanges],
      observed: new Set(slot.observed),
      beganAt: slot.beganAt,
    };
    if (!slot.serializable) this.#tallySkew(committed, slot);
    this.#committed.push(committed);
  }

  /**
   * Write skew under snapshot isolation: this commit and an earlier one that
   * committed after this began each read a key the other wrote (a state no
   * serial order gives). Counted, so the test can assert the generator
   * reaches it; serializable commits never do (the audit and the exact
   * conflict prediction check that).
   */
  #tallySkew(committed: Committed, slot: Slot): void {
    for (const other of this.#committed) {
      if (other.serializable || other.version <= committed.base) continue;
      const crossed = [...other.writes].some((k) => slot.observed.has(k));
      const back = [...committed.writes].some((k) => other.observed.has(k));
      if (crossed && back) this.coverage.writeSkewsCommitted++;
    }
  }

  // -- outside transactions -------------------------------------------------

  async #plain(ops: readonly WriteOp[], at: Extract<Op, { op: 'plain' }>['at']): Promise<void> {
    const latest = this.model.latest;
    let writes = ops.map((w) => this.#resolveWrite(w));
    if (at === 'auto') return this.#plainCommit(writes, undefined);
    if ('ahead' in at) return this.#plainCommit(writes, latest + at.ahead);
    const version = latest - at.back;
    if (version < 0) return;
    writes = writes.filter((w) => w.type !== 'drop');
    // Refused before anything else, even at a version a commit already took.
    if (version <= (this.#highestOpen() ?? -1)) return this.#plainCommit(writes, version);
    if (this.model.used(version)) return;
    if (this.#slots.some((s) => s !== undefined)) return; // history writes only when no snapshot could park a drop
    await this.#store.flush();
    return this.#plainCommit(writes, version);
  }

  #plainCommit(writes: ModelWrite[], explicit: number | undefined): void {
    const unique = lastPerKey(writes);
    let expected: string;
    if (explicit === undefined)
      expected = unique.length === 0 ? 'undefined' : String(this.model.latest + 1);
    else if (explicit <= (this.#highestOpen() ?? -1)) expected = 'violation';
    else expected = String(explicit);
    const actual = attempt(() => String(this.#store.commit(unique.map(toDelta), explicit)));
    const keys = unique.map((w) => w.key);
    if (actual === 'too-old' && explicit !== undefined && explicit < this.model.latest) {
      assert.ok(
        this.model.mayRefuseWrite(keys, explicit),
        `VERSION_TOO_OLD for a write at ${explicit}`,
      );
      this.coverage.versionTooOld++;
      return;
    }
    assert.equal(actual, expected, `plain commit at ${explicit ?? 'auto'}`);
    if (expected === 'violation') this.coverage.snapshotViolations++;
    if (!/^\d+$/.test(expected)) return;
    this.model.commit(Number(expected), unique);
    this.coverage.commits++;
  }

  #peek(key: Key, rangeIndex: number | undefined, back: number): void {
    const version = Math.max(0, this.model.latest - back);
    if (rangeIndex === undefined) {
      const actual = attempt(() => {
        const entry = this.#store.get(bytes(key), version);
        return entry === undefined ? 'absent' : `v:${decoder.decode(entry.value)}`;
      });
      this.#judge(`get ${key} at ${version}`, this.model.answers(key, version), actual);
      return;
    }
    const range = RANGES[rangeIndex] as ModelRange;
    const inRange = keysIn(range, false);
    const listed = attemptList(() => [...this.#store.range(specOf(range), { version })]);
    if (listed.error !== undefined) {
      this.#tooOldKey(listed.error, inRange, (k) => this.model.answers(k, version));
      return;
    }
    this.#judgeList(listed.entries, inRange, (k) => this.model.answers(k, version));
  }

  /** Commit every open transaction, flush, then read every key at the last few versions. */
  async #settle(): Promise<void> {
    for (const [index, slot] of this.#slots.entries()) {
      if (slot !== undefined) this.#onSlot(index, (s) => this.#commit(index, s, undefined));
    }
    await this.#flush();
    for (let back = 0; back <= SETTLE_DEPTH; back++) {
      for (const key of KEYS) this.#peek(key, undefined, back);
      this.#peek(KEYS[0] as Key, 0, back);
    }
  }

  /**
   * Flush, then check that no open snapshot lost anything: every key, read
   * outside the transaction at the snapshot's version (a plain read changes
   * no read set), must answer as the snapshot allows, and as it read before.
   */
  async #flush(): Promise<void> {
    await this.#store.flush();
    for (const slot of this.#slots) {
      if (slot === undefined || this.#expired(slot) || slot.read === BEFORE) continue;
      if (slot.read > this.model.latest) continue;
      for (const key of KEYS) {
        const actual = attempt(() => {
          const entry = this.#store.get(bytes(key), slot.read);
          return entry === undefined ? 'absent' : `v:${decoder.decode(entry.value)}`;
        });
        this.#judge(
          `get ${key} under the snapshot at ${slot.read}`,
          this.#answers(slot, key),
          actual,
        );
        this.#stable(slot, key, actual);
      }
    }
  }

  async #reopen(): Promise<void> {
    if (!this.open.durable) return;
    for (const [index, slot] of this.#slots.entries()) if (slot) this.#slots[index] = undefined;
    await this.#store.close();
    this.#store = this.open();
    this.coverage.reopened++;
    assert.equal(this.#store.latestVersion, this.model.latest, 'latest version survives reopening');
  }

  // -- checks ---------------------------------------------------------------

  #answers(slot: Slot, key: Key): Answers {
    return this.model.answers(key, slot.read, slot.known);
  }

  #judge(what: string, answers: Answers, actual: string): void {
    if (actual === 'too-old') this.coverage.versionTooOld++;
    const ok =
      answers.has(actual) || (actual === 'present' && [...answers].some((a) => a.startsWith('v:')));
    assert.ok(ok, `${what} answered ${actual}; the model allows ${[...answers].join(', ')}`);
  }

  #judgeList(
    entries: readonly { key: Key; value: string }[],
    inRange: readonly Key[],
    answersOf: (key: Key) => Answers,
  ): void {
    const listed = entries.map((e) => e.key);
    assert.deepEqual(
      listed,
      inRange.filter((k) => listed.includes(k)),
      'keys in range and order',
    );
    for (const k of inRange) {
      const entry = entries.find((e) => e.key === k);
      this.#judge(
        `range key ${k}`,
        answersOf(k),
        entry === undefined ? 'absent' : `v:${entry.value}`,
      );
    }
  }

  /** A range refused: VERSION_TOO_OLD for a key of the range that may be refused. */
  #tooOldKey(error: unknown, inRange: readonly Key[], answersOf: (key: Key) => Answers): Key {
    assert.ok(isStoreError(error, 'VERSION_TOO_OLD'), `range failed with ${String(error)}`);
    this.coverage.versionTooOld++;
    const key = decoder.decode((error as { key?: Uint8Array }).key ?? new Uint8Array());
    assert.ok(inRange.includes(key), `VERSION_TOO_OLD names ${key}, in the range`);
    assert.ok(answersOf(key).has('too-old'), `range refused at ${key}, which may not be refused`);
    return key;
  }

  /** A transaction reads the same answer twice at one version (once that version is committed). */
  #stable(slot: Slot, key: Key, actual: string): void {
    if (slot.read > this.model.latest) return; // a future snapshot moves with commits (documented)
    const at = `${key}@${slot.read}`;
    const first = slot.seen.get(at);
    if (first === undefined) {
      if (actual !== 'present') slot.seen.set(at, actual);
      return;
    }
    const same = actual === first || (actual === 'present' && first.startsWith('v:'));
    assert.ok(same, `snapshot at ${slot.read} read ${key} as ${first}, now ${actual}`);
  }

  /** The highest version an open snapshot reads at or began at (`except` left out). */
  #highestOpen(except?: number): number | undefined {
    let highest: number | undefined;
    for (const [index, slot] of this.#slots.entries()) {
      if (slot === undefined || index === except || this.#expired(slot)) continue;
      const high = Math.max(slot.read, slot.base ?? 0, 0);
      highest = highest === undefined ? high : Math.max(highest, high);
    }
    return highest;
  }

  #checkRegistry(): void {
    if (this.#store.dropWorkerStats().parked > 0) this.coverage.parkedSeen++;
    const open = this.#slots.filter((s): s is Slot => s !== undefined && !this.#expired(s));
    const { snapshots } = this.#store.stats();
    assert.equal(snapshots.open, open.length, 'open snapshots');
    const lowest =
      open.length === 0 ? undefined : Math.min(...open.map((s) => Math.max(s.read, 0)));
    assert.equal(snapshots.watermark, lowest, 'the watermark is the oldest open snapshot');
  }

  async #finish(): Promise<void> {
    for (const [index, slot] of this.#slots.entries()) if (slot) this.#end(index, slot);
    await this.#store.flush();
    assert.equal(
      this.#store.dropWorkerStats().parked,
      0,
      'nothing parked once every snapshot ended',
    );
    assert.equal(this.#store.stats().snapshots.open, 0);
    for (const key of KEYS) {
      const stored = this.#store.versions(bytes(key)).map(({ version, value }) => ({
        version,
        value: value === undefined ? undefined : decoder.decode(value),
      }));
      assert.deepEqual(stored, this.model.survivors(key), `stored versions of ${key}`);
    }
    this.#audit();
  }

  /** Snapshot isolation and serializability, over every committed transaction. */
  #audit(): void {
    for (const t of this.#committed) {
      const own = this.#indexOf(t.version);
      this.model.commits.forEach((c, index) => {
        if (index >= own || c.version <= t.base) return;
        // Before t began, a commit that only dropped t's keys may have passed (see conflicting()).
        const keys = index < t.beganAt ? c.written : c.keys;
        const clash = [...keys].filter((k) => t.writes.has(k));
        assert.deepEqual(clash, [], `first committer wins: ${t.version} and ${c.version}`);
        if (!t.serializable) return;
        const stale = [...keys].filter(
          (k) => t.readKeys.has(k) || t.readRanges.some((r) => inModelRange(k, r)),
        );
        assert.deepEqual(stale, [], `serializable ${t.version} read what ${c.version} wrote`);
      });
    }
  }

  #indexOf(version: number): number {
    return this.model.commits.findIndex((c) => c.version === version);
  }

  #resolveWrite(w: WriteOp): ModelWrite {
    switch (w.type) {
      case 'set':
        return { type: 'set', key: w.key, value: String(++this.#values) };
      case 'unset':
        return { type: 'unset', key: w.key, value: 'u' };
      case 'remove':
        return { type: 'remove', key: w.key };
      case 'drop':
        return {
          type: 'drop',
          key: w.key,
          ...(w.upToAhead === undefined
            ? {}
            : { upToVersion: Math.max(0, this.model.latest + w.upToAhead) }),
          ...(w.keepLastVersions === undefined ? {} : { keepLastVersions: w.keepLastVersions }),
        };
    }
  }
}

function resolveAsOf(
  asOf: Extract<Op, { op: 'begin' }>['asOf'],
  latest: number,
): number | undefined {
  if (asOf === 'latest') return undefined;
  return 'back' in asOf ? Math.max(0, latest - asOf.back) : latest + asOf.ahead;
}

/** The writes a transaction commits: its buffer in key order, then its drops. */
function writesOf(slot: Slot): ModelWrite[] {
  const keys = [...slot.own.keys()].sort();
  const writes: ModelWrite[] = keys.map((key) => {
    const own = slot.own.get(key) as Own & { type: 'set' | 'remove' | 'unset' };
    if (own.type === 'remove') return { type: 'remove', key };
    return { type: own.type, key, value: own.value ?? 'u' };
  });
  return [...writes, ...slot.drops];
}

/** Plain commits: one delta per key for writes (the last), drops after. */
function lastPerKey(writes: readonly ModelWrite[]): ModelWrite[] {
  const last = new Map<Key, ModelWrite>();
  const drops: ModelWrite[] = [];
  for (const w of writes) {
    if (w.type === 'drop') drops.push(w);
    else last.set(w.key, w);
  }
  return [...[...last.values()].sort((x, y) => (x.key < y.key ? -1 : 1)), ...drops];
}

function ownAnswers(own: Own): Answers {
  return new Set([own.value === undefined ? 'absent' : `v:${own.value}`]);
}

function applyToTx(tx: Transaction, w: ModelWrite): void {
  if (w.type === 'set') tx.set(bytes(w.key), bytes(w.value));
  else if (w.type === 'unset') tx.unset(bytes(w.key), bytes(w.value));
  else if (w.type === 'remove') tx.remove(bytes(w.key));
  else tx.drop(bytes(w.key), dropOptionsOf(w));
}

function dropOptionsOf(w: { upToVersion?: number; keepLastVersions?: number }) {
  return {
    ...(w.upToVersion === undefined ? {} : { upToVersion: w.upToVersion }),
    ...(w.keepLastVersions === undefined ? {} : { keepLastVersions: w.keepLastVersions }),
  };
}

function toDelta(w: ModelWrite): Delta {
  switch (w.type) {
    case 'set':
    case 'unset':
      return { type: w.type, key: bytes(w.key), value: bytes(w.value) };
    case 'remove':
      return { type: 'remove', key: bytes(w.key) };
    case 'drop':
      return {
        type: 'drop',
        key: bytes(w.key),
        ...(w.upToVersion === undefined ? {} : { upToVersion: w.upToVersion }),
        ...(w.keepLastVersions === undefined ? {} : { keepLastVersions: w.keepLastVersions }),
      };
  }
}

function specOf(range: ModelRange): RangeSpec {
  if (range.prefix !== undefined) return { prefix: bytes(range.prefix) };
  return {
    ...(range.start === undefined ? {} : { start: bytes(range.start) }),
    ...(range.end === undefined
      ? {}
      : { end: bytes(range.end), endInclusive: range.endInclusive ?? false }),
  };
}

function keysIn(range: ModelRange, reverse: boolean): Key[] {
  const keys = KEYS.filter((k) => inModelRange(k, range)).sort();
  return reverse ? keys.reverse() : keys;
}

/** The outcome of a call as text: its result, or the name of the expected error it threw. */
function attempt(fn: () => string): string {
  try {
    return fn();
  } catch (error) {
    return outcomeOf(error);
  }
}

const OUTCOMES: Readonly<Record<string, string>> = {
  TRANSACTION_CONFLICT: 'conflict',
  SNAPSHOT_VIOLATION: 'violation',
  VERSION_TOO_OLD: 'too-old',
  TRANSACTION_TOO_OLD: 'too-old-tx',
};

function outcomeOf(error: unknown): string {
  if (isStoreError(error) && Object.hasOwn(OUTCOMES, error.code))
    return OUTCOMES[error.code] as string;
  throw error;
}

function attemptList(fn: () => { key: Uint8Array; value: Uint8Array }[]): {
  entries: { key: Key; value: string }[];
  error: unknown;
} {
  try {
    const entries = fn().map((e) => ({
      key: decoder.decode(e.key),
      value: decoder.decode(e.value),
    }));
    return { entries, error: undefined };
  } catch (error) {
    return { entries: [], error };
  }
}

function code(expected: string): (error: unknown) => boolean {
  return (error) => isStoreError(error) && error.code === expected;
}

function annotate(error: unknown, where: string): unknown {
  if (error instanceof Error) error.message = `${where}\n${error.message}`;
  return error;
}

/**
 * The serial model of the randomized isolation test.
 *
 * Written from the README's rules, with no code shared with the store or
 * `src/transaction/`: what a history of commits means, which answers a read
 * may give, which commits must conflict, and which versions survive once
 * every drop is applied.
 *
 * ```
 *   truth      per key, every committed write (version -> value | tombstone), never erased
 *   commits    the log: version, keys written or dropped, in commit order (a range
 *              drop drops every key of the test inside its range)
 *   requests   every drop request (explicit drops and retention), with its ceiling;
 *              a range drop is one per key of the test inside its range
 *   deletions  the drop requests that erase a key's whole judged history
 *   eventual   StoreModel with every request applied at once: the versions that
 *              survive once the drop worker has caught up (test-support/store-model.ts)
 * ```
 *
 * A read at version V of key k may answer, and nothing else:
 *
 * | answer | when |
 * |---|---|
 * | the truth at V | always (a drop takes effect when the worker applies it) |
 * | absent | a deletion of k at D <= V, and k not written in [D, V] |
 * | VERSION_TOO_OLD | a drop request of k whose ceiling is above V |
 *
 * Inside a transaction only the requests committed before its snapshot was
 * taken (at begin, or at its last `asOf`) may make a read absent or refused:
 * later ones must wait for the snapshot. Together with "a transaction reads
 * the same answer twice", that is what protects a snapshot's history.
 *
 * An explicit write of k at V (every drop applied) may be refused with
 * VERSION_TOO_OLD when a drop request of k has its ceiling above V, and must
 * be when a drop that erased versions of k deleted it above V: a write
 * there would bring k back above the deletion (README, "The drop rule",
 * step 6).
 *
 * @module
 */

import { type ModelDelta, StoreModel } from '../../test-support/store-model.js';

/** A key of the test (ASCII, so that string order is byte order). */
export type Key = string;

/** A read version: a version, or `BEFORE` (`asOf(0, { exclusive: true })`: nothing visible). */
export const BEFORE = -1;

/** One committed write. */
export type Written = { readonly value: string } | { readonly value: undefined };

/** A commit in the log. */
export interface LoggedCommit {
  readonly version: number;
  /** Keys it wrote or dropped (retention drops are of written keys). */
  readonly keys: ReadonlySet<Key>;
  /** The keys it wrote (set, remove, unset). */
  readonly written: ReadonlySet<Key>;
  /** The keys its range drops dropped (inside `keys` too). */
  readonly ranged: ReadonlySet<Key>;
}

/**
 * The commits a committing transaction conflicts with: `certain` ones must
 * make it fail; `possible` ones may (see {@link HistoryModel.conflicting}).
 */
export interface Conflicts {
  readonly certain: readonly LoggedCommit[];
  readonly possible: readonly LoggedCommit[];
}

/** A drop request, explicit or implicit (retention). */
export interface Request {
  readonly key: Key;
  readonly version: number;
  /** The latest version when it was committed: it judges versions up to it. */
  readonly ceiling: number;
}

/** A key range as the test reads it. */
export interface ModelRange {
  readonly start?: Key;
  readonly end?: Key;
  readonly endInclusive?: boolean;
  readonly prefix?: Key;
}

/** What a read may answer, encoded: `v:<value>`, `absent`, `too-old`. */
export type Answers = ReadonlySet<string>;

/**
 * A range drop of a plain commit, with the keys of the test inside its range:
 * for conflicts it drops each of them (README: a range drop counts as a
 * write of every key of its range), and the test's ranges share a key
 * exactly when they share one of the test's keys.
 */
export interface ModelRangeDrop {
  readonly range: ModelRange;
  readonly keys: readonly Key[];
  readonly upToVersion?: number;
  readonly keepLastVersions?: number;
}

/** A tombstone or a value, as a buffered transaction write leaves a key. */
export type Own = { readonly value: string | undefined };

/** The write of one delta, as the model commits it. */
export type ModelWrite =
  | { readonly type: 'set'; readonly key: Key; readonly value: string }
  | { readonly type: 'remove'; readonly key: Key }
  | { readonly type: 'unset'; readonly key: Key; readonly value: string }
  | {
      readonly type: 'drop';
      readonly key: Key;
      readonly upToVersion?: number;
      readonly keepLastVersions?: number;
    };

const encoder = new TextEncoder();

/** The history the test has committed, and what it allows a read to answer. */
export class HistoryModel {
  readonly #truth = new Map<Key, Map<number, string | undefined>>();
  readonly commits: LoggedCommit[] = [];
  readonly requests: Request[] = [];
  readonly #deletions: { key: Key; version: number; index: number; erased: boolean }[] = [];
  readonly #eventual: StoreModel;
  readonly #used = new Set<number>();
  latest = 0;

  constructor(readonly retentionOf: (key: Key) => number | undefined) {
    this.#eventual = new StoreModel((bytes) => retentionOf(new TextDecoder().decode(bytes)));
  }

  /** True when a commit already took `version`. */
  used(version: number): boolean {
    return this.#used.has(version);
  }

  /** Record a successful commit at `version` (writes in key order, drops after, range drops last). */
  commit(
    version: number,
    writes: readonly ModelWrite[],
    ranges: readonly ModelRangeDrop[] = [],
  ): void {
    this.#used.add(version);
    const keys = new Set(writes.map((w) => w.key));
    for (const r of ranges) for (const key of r.keys) keys.add(key);
    for (const w of writes) if (w.type !== 'drop') this.#write(w.key, version, w);
    this.latest = Math.max(this.latest, version);
    const written = new Set(writes.filter((w) => w.type !== 'drop').map((w) => w.key));
    const ranged = new Set(ranges.flatMap((r) => r.keys));
    this.commits.push({ version, keys, written, ranged });
    const stored = [...keys].filter((k) => this.#eventual.versions(encoder.encode(k)).length > 0);
    this.#eventual.commit([...writes.map(toStoreDelta), ...ranges.map(toRangeDelta)], version);
    this.#eventual.flush();
    this.#recordRequests(version, [...writes, ...ranges.flatMap(perKey)], new Set(stored));
  }

  #write(key: Key, version: number, w: ModelWrite): void {
    const versions = this.#truth.get(key) ?? new Map<number, string | undefined>();
    this.#truth.set(key, versions);
    versions.set(version, w.type === 'set' ? w.value : undefined);
  }

  /** `stored`: the keys with a stored version before the commit (a drop of the others erases nothing). */
  #recordRequests(version: number, writes: readonly ModelWrite[], stored: ReadonlySet<Key>): void {
    const written = new Set(writes.filter((w) => w.type !== 'drop').map((w) => w.key));
    for (const w of writes) {
      if (w.type !== 'drop') continue;
      const index = this.requests.length;
      this.requests.push({ key: w.key, version, ceiling: this.latest });
      const gone = this.#eventual.versions(encoder.encode(w.key)).length === 0;
      if (gone && !written.has(w.key) && this.#truth.has(w.key)) {
        this.#deletions.push({ key: w.key, version, index, erased: stored.has(w.key) });
      }
    }
    for (const key of written) {
      if (this.retentionOf(key) !== undefined) {
        this.requests.push({ key, version, ceiling: this.latest });
      }
    }
  }

  /** The newest committed write of `key` at or below `version` (never erased). */
  truth(key: Key, version: number): string | undefined {
    let best: number | undefined;
    const versions = this.#truth.get(key);
    for (const v of versions?.keys() ?? []) {
      if (v <= version && (best === undefined || v > best)) best = v;
    }
    return best === undefined ? undefined : versions?.get(best);
  }

  /**
   * What a read of `key` at `version` may answer, counting only the requests
   * before index `known` (the snapshot's; every request for a plain read).
   */
  answers(key: Key, version: number, known = this.requests.length): Answers {
    const answers = new Set<string>();
    const truth = this.truth(key, version);
    answers.add(truth === undefined ? 'absent' : `v:${truth}`);
    if (this.#deleted(key, version, known)) answers.add('absent');
    const reach = this.requests.slice(0, known).some((r) => r.key === key && r.ceiling > version);
    if (reach) answers.add('too-old');
    return answers;
  }

  #deleted(key: Key, version: number, known: number): boolean {
    return this.#deletions.some(
      (d) =>
        d.index < known &&
        d.key === key &&
        d.version <= version &&
        !this.#writtenIn(key, d.version, version),
    );
  }

  /**
   * True when a drop that erased versions of `key` deleted it at a version
   * above `version`: once applied, an explicit write of `key` at `version`
   * must be refused (README, "The drop rule", step 6: it would bring the key
   * back above the deletion). A drop of a key with nothing stored erases
   * nothing and leaves its horizon as it was.
   */
  deletedAbove(key: Key, version: number): boolean {
    return this.#deletions.some((d) => d.key === key && d.erased && d.version > version);
  }

  #writtenIn(key: Key, from: number, to: number): boolean {
    for (const v of this.#truth.get(key)?.keys() ?? []) if (v >= from && v <= to) return true;
    return false;
  }

  /**
   * True when a drop request of one of `keys` could have left it a horizon
   * whose `readableFrom` (at most the request's ceiling) is above `version`:
   * an explicit write there may be refused, inside the erased history or under it.
   */
  mayRefuseWrite(keys: readonly Key[], version: number): boolean {
    return this.requests.some((r) => keys.includes(r.key) && r.ceiling > version);
  }

  /** The versions of `key` that survive once every drop request is applied, newest first. */
  survivors(key: Key): { version: number; value: string | undefined }[] {
    return this.#eventual.versions(encoder.encode(key)).map(({ version, value }) => ({
      version,
      value: value === undefined ? undefined : new TextDecoder().decode(value),
    }));
  }

  /**
   * Commits above `base` that wrote or dropped one of `keys` or a key in
   * `ranges`. A commit made before the transaction began (index below
   * `beganAt`, so only for transactions begun as of a past version) whose
   * only touch of those keys is a drop is a *possible* conflict: the store
   * judges those commits on stored history, where a drop that changed
   * nothing readable leaves no trace (a limit the README states).
   */
  conflicting(
    base: number,
    keys: ReadonlySet<Key>,
    ranges: readonly ModelRange[],
    beganAt = Number.POSITIVE_INFINITY,
  ): Conflicts {
    const touches = (k: Key) => keys.has(k) || ranges.some((r) => inModelRange(k, r));
    const above = this.commits
      .map((c, index) => ({ c, index }))
      .filter(({ c }) => c.version > base && [...c.keys].some(touches));
    const byDropOnly = ({ c, index }: { c: LoggedCommit; index: number }) =>
      index < beganAt && ![...c.written].some(touches);
    return {
      certain: above.filter((x) => !byDropOnly(x)).map(({ c }) => c),
      possible: above.filter(byDropOnly).map(({ c }) => c),
    };
  }
}

/** True when `key` is inside `range`. */
export function inModelRange(key: Key, range: ModelRange): boolean {
  if (range.prefix !== undefined) return key.startsWith(range.prefix);
  if (range.start !== undefined && key < range.start) return false;
  if (range.end === undefined) return true;
  return range.endInclusive === true ? key <= range.end : key < range.end;
}

/** A range drop as the per-key drops of the test's keys inside it (the requests it may make). */
function perKey(r: ModelRangeDrop): ModelWrite[] {
  const { upToVersion, keepLastVersions } = r;
  return r.keys.map((key) => ({ type: 'drop', key, upToVersion, keepLastVersions }));
}

function toRangeDelta(r: ModelRangeDrop): ModelDelta {
  const { prefix, start, end, endInclusive } = r.range;
  const bounds =
    prefix !== undefined
      ? { prefix: encoder.encode(prefix) }
      : start === undefined && end === undefined
        ? { prefix: new Uint8Array(0) }
        : {
            ...(start === undefined ? {} : { start: encoder.encode(start) }),
            ...(end === undefined
              ? {}
              : { end: encoder.encode(end), endInclusive: endInclusive ?? false }),
          };
  return {
    type: 'drop-range',
    ...bounds,
    ...(r.upToVersion === undefined ? {} : { upToVersion: r.upToVersion }),
    ...(r.keepLastVersions === undefined ? {} : { keepLastVersions: r.keepLastVersions }),
  };
}

function toStoreDelta(w: ModelWrite): ModelDelta {
  const key = encoder.encode(w.key);
  switch (w.type) {
    case 'set':
    case 'unset':
      return { type: w.type, key, value: encoder.encode(w.value) };
    case 'remove':
      return { type: 'remove', key };
    case 'drop':
      return {
        type: 'drop',
        key,
        ...(w.upToVersion === undefined ? {} : { upToVersion: w.upToVersion }),
        ...(w.keepLastVersions === undefined ? {} : { keepLastVersions: w.keepLastVersions }),
      };
  }
}

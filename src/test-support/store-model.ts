/**
 * A deliberately simple model of the store, for model-based tests.
 *
 * Every key maps to a plain `Map<version, value | undefined>`; reads sort and
 * scan. Drops are queued like the real drop worker does and applied on
 * `flush()`, each judged by the drop rule of the README ("The drop rule")
 * written out longhand (no code shared with the store): select by the
 * constraints, erase only the selected versions older than every version
 * kept, and remember the versions whose reads that changed (the key's
 * horizon), which reads must then refuse, and explicit writes below its
 * oldest readable version (README, "The drop rule", step 6). A flush may be told the versions
 * open snapshots read at: it then erases, of each request, the longest
 * prefix that changes no snapshot's read (found by trying them all), and
 * parks the rest of the request, and every later request of its key, until
 * the snapshot that held it back is gone. Keys are held as binary strings,
 * whose order is bytewise order.
 *
 * A range drop (`drop-range`) waits in the queue like any request; when the
 * flush reaches it, it becomes, at that moment, the per-key drop of every key
 * of its range with a stored version at or below its ceiling (tombstones
 * count), with its commit's version as pending version of the keys that
 * commit wrote. The model applies it whole where the store applies it a page
 * at a time: the same thing, as long as nothing is committed at or below the
 * ceiling inside the range while it is part-way (the tests flush first).
 *
 * @module
 */

import { binaryStringToBytes, bytesToBinaryString } from '../common/bytes.js';
import type { Delta } from '../store/deltas.js';

/** A model delta of one key: keys and values already bytes. */
export type KeyModelDelta =
  | { readonly type: 'set' | 'unset'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'remove'; readonly key: Uint8Array }
  | {
      readonly type: 'drop';
      readonly key: Uint8Array;
      readonly upToVersion?: number;
      readonly keepLastVersions?: number;
    };

/** A model delta: one of a key, or a range drop. */
export type ModelDelta =
  | KeyModelDelta
  | {
      /**
       * A range drop: the keys starting with `prefix`, or `[start, end)` (or
       * `]`), either bound open when absent.
       */
      readonly type: 'drop-range';
      readonly prefix?: Uint8Array;
      readonly start?: Uint8Array;
      readonly end?: Uint8Array;
      readonly endInclusive?: boolean;
      readonly upToVersion?: number;
      readonly keepLastVersions?: number;
    };

/** A range drop waiting in the queue: its bounds as binary strings, and the keys its commit wrote. */
interface PendingRange extends ModelRange {
  readonly range: true;
  readonly written: ReadonlySet<string>;
  readonly upToVersion: number | undefined;
  readonly keepLastVersions: number | undefined;
  readonly ceiling: number;
  readonly commitVersion: number;
}

/** A range of binary-string keys. */
interface ModelRange {
  readonly prefix: string | undefined;
  readonly start: string | undefined;
  readonly end: string | undefined;
  readonly endInclusive: boolean;
}

interface PendingDrop {
  readonly key: string;
  readonly upToVersion: number | undefined;
  readonly keepLastVersions: number | undefined;
  readonly pendingVersion: number | undefined;
  readonly ceiling: number;
  readonly commitVersion: number;
}

/** Reads at versions in `[erasedFrom, readableFrom)` are refused. */
interface ModelHorizon {
  erasedFrom: number;
  readableFrom: number;
}

/** A read the model refuses: the key, and its oldest readable version. */
export interface ModelRefusal {
  readonly key: Uint8Array;
  readonly readableFrom: number;
}

/** Figures as the conformance README defines them. */
export interface ModelFigures {
  currentCount: number;
  currentKeyBytes: number;
  currentValueBytes: number;
  historicalCount: number;
  historicalKeyBytes: number;
  historicalValueBytes: number;
}

/** The model store. `retentionOf(key)` gives a key's table retention (or undefined). */
export class StoreModel {
  readonly #keys = new Map<string, Map<number, Uint8Array | undefined>>();
  readonly #horizons = new Map<string, ModelHorizon>();
  /** Per key, the highest version an erasure changed: an erased version, or a deletion's commit version. */
  readonly #erasedTops = new Map<string, number>();
  #pending: (PendingDrop | PendingRange)[] = [];
  /** Requests held back by a snapshot, per key, with the snapshot version holding them. */
  readonly #parked = new Map<string, { requests: PendingDrop[]; blockedBy: number }>();
  latestVersion = 0;

  constructor(readonly retentionOf: (key: Uint8Array) => number | undefined = () => undefined) {}

  /** Keys with drop requests not yet applied. */
  pendingKeys(): Set<string> {
    return new Set(this.#queuedKeys().map((drop) => drop.key));
  }

  /** Range drops not yet reached by a flush. */
  get pendingRanges(): number {
    return this.#pending.filter((drop) => 'range' in drop).length;
  }

  commit(deltas: readonly ModelDelta[], version: number): void {
    const writes = new Map<string, Uint8Array | undefined>();
    for (const delta of deltas) {
      if (delta.type === 'drop' || delta.type === 'drop-range') continue;
      writes.set(bytesToBinaryString(delta.key), delta.type === 'set' ? delta.value : undefined);
    }
    for (const [key, value] of writes) this.#versionsOf(key).set(version, value);
    this.latestVersion = Math.max(this.latestVersion, version);
    const ceiling = this.latestVersion;
    for (const delta of deltas) {
      if (delta.type !== 'drop') continue;
      const key = bytesToBinaryString(delta.key);
      const pendingVersion = writes.has(key) ? version : undefined;
      this.#pending.push({
        key,
        upToVersion: delta.upToVersion,
        keepLastVersions: delta.keepLastVersions,
        pendingVersion,
        ceiling,
        commitVersion: version,
      });
    }
    for (const delta of deltas) {
      if (delta.type !== 'drop-range') continue;
      const range = {
        prefix: delta.prefix && bytesToBinaryString(delta.prefix),
        start: delta.start && bytesToBinaryString(delta.start),
        end: delta.end && bytesToBinaryString(delta.end),
        endInclusive: delta.endInclusive === true,
      };
      const written = new Set([...writes.keys()].filter((key) => inModelRange(key, range)));
      const { upToVersion, keepLastVersions } = delta;
      this.#pending.push({
        range: true,
        ...range,
        written,
        upToVersion,
        keepLastVersions,
        ceiling,
        commitVersion: version,
      });
    }
    // Retention keeps the N highest versions: no pending version to spare.
    for (const key of writes.keys()) {
      const keep = this.retentionOf(binaryStringToBytes(key));
      if (keep !== undefined)
        this.#pending.push({
          key,
          upToVersion: undefined,
          keepLastVersions: keep,
          pendingVersion: undefined,
          ceiling,
          commitVersion: version,
        });
    }
  }

  /**
   * The first key a commit at `version` writes below the `readableFrom` of
   * its horizon, inside it or under it (the store refuses the whole commit),
   * or `undefined`.
   */
  refusesWrite(deltas: readonly ModelDelta[], version: number): ModelRefusal | undefined {
    for (const delta of deltas) {
      if (delta.type === 'drop' || delta.type === 'drop-range') continue;
      const horizon = this.#horizons.get(bytesToBinaryString(delta.key));
      if (horizon !== undefined && version < horizon.readableFrom)
        return { key: delta.key, readableFrom: horizon.readableFrom };
    }
    return undefined;
  }

  /** The refusal of a read of `key` at `version`, or `undefined` when it is answered. */
  refusal(key: Uint8Array, version: number): ModelRefusal | undefined {
    const horizon = this.#horizons.get(bytesToBinaryString(key));
    if (horizon === undefined || version < horizon.erasedFrom || version >= horizon.readableFrom)
      return undefined;
    return { key, readableFrom: horizon.readableFrom };
  }

  /**
   * The highest version at which an erasure changed the history of `key`
   * (an erased version, or the commit version of a drop that deleted it), if any.
   */
  erasedTop(key: Uint8Array): number | undefined {
    return this.#erasedTops.get(bytesToBinaryString(key));
  }

  /** The horizon of `key` (the versions whose reads erasures changed), if any. */
  horizon(key: Uint8Array): { erasedFrom: number; readableFrom: number } | undefined {
    const horizon = this.#horizons.get(bytesToBinaryString(key));
    return horizon && { erasedFrom: horizon.erasedFrom, readableFrom: horizon.readableFrom };
  }

  /**
   * The newest version at which `key` changed, if ever, as a transaction's
   * conflict check reads it from stored history: its newest stored version
   * (a tombstone counts), the end of its erased history (`readableFrom`),
   * and the commit version of each drop request of it not applied yet
   * (queued or parked). A drop that changed nothing readable leaves no trace.
   */
  lastChange(key: Uint8Array): number | undefined {
    const id = bytesToBinaryString(key);
    const changes = [
      ...(this.#keys.get(id)?.keys() ?? []),
      ...(this.#horizons.has(id) ? [(this.#horizons.get(id) as ModelHorizon).readableFrom] : []),
      ...this.#unapplied()
        .filter((drop) => drop.key === id)
        .map((drop) => drop.commitVersion),
    ];
    return changes.length === 0 ? undefined : Math.max(...changes);
  }

  /** Every key with stored versions, erased history or a drop request not applied, in key order. */
  knownKeys(): Uint8Array[] {
    const ids = new Set([
      ...this.#keys.keys(),
      ...this.#horizons.keys(),
      ...this.#unapplied().map((drop) => drop.key),
    ]);
    return [...ids].sort().map(binaryStringToBytes);
  }

  /** Requests of a key not applied yet (a range drop's only once a flush expanded it). */
  #unapplied(): PendingDrop[] {
    return [
      ...this.#queuedKeys(),
      ...[...this.#parked.values()].flatMap((parked) => parked.requests),
    ];
  }

  #queuedKeys(): PendingDrop[] {
    return this.#pending.filter((drop): drop is PendingDrop => !('range' in drop));
  }

  /** A range drop, now: the per-key drop of each key of its range stored at or below its ceiling. */
  #expand(range: PendingRange): PendingDrop[] {
    const keys = [...this.#keys]
      .filter(([key]) => inModelRange(key, range))
      .filter(([, versions]) => [...versions.keys()].some((v) => v <= range.ceiling))
      .map(([key]) => key)
      .sort();
    return keys.map((key) => ({
      key,
      upToVersion: range.upToVersion,
      keepLastVersions: range.keepLastVersions,
      pendingVersion: range.written.has(key) ? range.commitVersion : undefined,
      ceiling: range.ceiling,
      commitVersion: range.commitVersion,
    }));
  }

  /** Requests parked behind an open snapshot. */
  get parkedCount(): number {
    let count = 0;
    for (const { requests } of this.#parked.values()) count += requests.length;
    return count;
  }

  /**
   * Apply every queued drop, one at a time, in commit order, erasing nothing
   * a snapshot at one of `snapshots` reads (the parked requests of a key
   * whose snapshot is gone first, planned again).
   */
  flush(snapshots: readonly number[] = []): void {
    const queue: (PendingDrop | PendingRange)[] = [];
    for (const [key, parked] of this.#parked) {
      if (snapshots.includes(parked.blockedBy)) continue;
      this.#parked.delete(key);
      queue.push(...parked.requests);
    }
    queue.push(...this.#pending);
    this.#pending = [];
    for (const request of queue) {
      // A range drop is expanded when its turn comes, on what the earlier requests left.
      const drops = 'range' in request ? this.#expand(request) : [request];
      for (const drop of drops) this.#applyInOrder(drop, snapshots);
    }
  }

  /** Apply `drop`, or queue it behind its key's parked requests. */
  #applyInOrder(drop: PendingDrop, snapshots: readonly number[]): void {
    const parked = this.#parked.get(drop.key);
    if (parked !== undefined) {
      parked.requests.push(drop);
      return;
    }
    const blockedBy = this.#applyDrop(drop, snapshots);
    if (blockedBy !== undefined) this.#parked.set(drop.key, { requests: [drop], blockedBy });
  }

  get(key: Uint8Array, version: number): { value: Uint8Array; version: number } | undefined {
    const entry = this.#visible(bytesToBinaryString(key), version);
    return entry?.value === undefined ? undefined : { value: entry.value, version: entry.version };
  }

  /** Live keys in `[start, end)` (or `]`), at a version, in order (refused keys skipped). */
  range(
    start: Uint8Array | undefined,
    end: Uint8Array | undefined,
    endInclusive: boolean,
    version: number,
    reverse: boolean,
  ): { key: Uint8Array; value: Uint8Array; version: number }[] {
    return this.rangeRead(start, end, endInclusive, version, reverse).entries;
  }

  /**
   * A range read as the store answers it: the live entries up to the first
   * key whose history at `version` was erased, and that key's refusal.
   */
  rangeRead(
    start: Uint8Array | undefined,
    end: Uint8Array | undefined,
    endInclusive: boolean,
    version: number,
    reverse: boolean,
  ): {
    entries: { key: Uint8Array; value: Uint8Array; version: number }[];
    refused: ModelRefusal | undefined;
  } {
    const low = start === undefined ? undefined : bytesToBinaryString(start);
    const high = end === undefined ? undefined : bytesToBinaryString(end);
    const keys = [...new Set([...this.#keys.keys(), ...this.#horizons.keys()])]
      .filter(
        (k) =>
          (low === undefined || k >= low) &&
          (high === undefined || k < high || (endInclusive && k === high)),
      )
      .sort();
    if (reverse) keys.reverse();
    const entries = [];
    for (const key of keys) {
      const refused = this.refusal(binaryStringToBytes(key), version);
      if (refused !== undefined) return { entries, refused };
      const entry = this.#visible(key, version);
      if (entry?.value !== undefined)
        entries.push({ key: binaryStringToBytes(key), value: entry.value, version: entry.version });
    }
    return { entries, refused: undefined };
  }

  /** Stored versions of `key`, newest first. */
  versions(key: Uint8Array): { version: number; value: Uint8Array | undefined }[] {
    const versions = this.#keys.get(bytesToBinaryString(key));
    if (versions === undefined) return [];
    return [...versions].sort(([a], [b]) => b - a).map(([version, value]) => ({ version, value }));
  }

  /** Figures over every key (the tables' sum). */
  figures(): ModelFigures {
    return figuresOf(
      [...this.#keys.keys()].map((key) => [
        binaryStringToBytes(key),
        this.versions(binaryStringToBytes(key)),
      ]),
    );
  }

  #visible(
    key: string,
    version: number,
  ): { version: number; value: Uint8Array | undefined } | undefined {
    const versions = this.#keys.get(key);
    let best: number | undefined;
    for (const v of versions?.keys() ?? [])
      if (v <= version && (best === undefined || v > best)) best = v;
    return best === undefined ? undefined : { version: best, value: versions?.get(best) };
  }

  #versionsOf(key: string): Map<number, Uint8Array | undefined> {
    let versions = this.#keys.get(key);
    if (versions === undefined) {
      versions = new Map();
      this.#keys.set(key, versions);
    }
    return versions;
  }

  /**
   * The drop rule of the README, longhand: list the versions at or below the
   * ceiling newest first (the pending version counted), select by the
   * constraints, keep the pending version and every unselected one, erase
   * only the selected versions older than every kept one, and widen the
   * horizon over the reads that changed (a request that erases every version
   * it judged deletes the key from its commit version on).
   */
  #applyDrop(drop: PendingDrop, snapshots: readonly number[]): number | undefined {
    const versions = this.#keys.get(drop.key);
    if (versions === undefined) return undefined;
    const judged = [...versions.keys()].filter((v) => v <= drop.ceiling);
    const listed = [...judged];
    if (drop.pendingVersion !== undefined && !listed.includes(drop.pendingVersion))
      listed.push(drop.pendingVersion);
    listed.sort((a, b) => b - a);
    const selected = new Set<number>();
    listed.forEach((version, index) => {
      if (version === drop.pendingVersion) return;
      const belowThreshold = drop.upToVersion === undefined || version < drop.upToVersion;
      const beyondKept = drop.keepLastVersions === undefined || index >= drop.keepLastVersions;
      if (belowThreshold && beyondKept) selected.add(version);
    });
    const kept = listed.filter((version) => !selected.has(version));
    const keepFrom = kept.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...kept);
    const erase = judged
      .filter((version) => selected.has(version) && version < keepFrom)
      .sort((a, b) => a - b);
    // The longest prefix of `erase` that changes what no open snapshot reads.
    let count = erase.length;
    let blockedBy: number | undefined;
    for (; count > 0; count--) {
      const changed = this.#changedReads(drop, erase, count, keepFrom, snapshots);
      if (changed.length === 0) break;
      blockedBy = Math.min(...changed);
    }
    if (count > 0) {
      const after = this.#erased(drop, erase, count, keepFrom);
      for (const version of erase.slice(0, count)) versions.delete(version);
      if (versions.size === 0) this.#keys.delete(drop.key);
      const deleted = count === erase.length && keepFrom === Number.POSITIVE_INFINITY;
      const top = Math.max(
        this.#erasedTops.get(drop.key) ?? 0,
        erase[count - 1] as number,
        deleted ? drop.commitVersion : 0,
      );
      this.#erasedTops.set(drop.key, top);
      if (after.horizon !== undefined) this.#horizons.set(drop.key, after.horizon);
    }
    return blockedBy;
  }

  /** The key's versions and horizon once the first `count` versions of `erase` are gone. */
  #erased(
    drop: PendingDrop,
    erase: readonly number[],
    count: number,
    keepFrom: number,
  ): { versions: Map<number, Uint8Array | undefined>; horizon: ModelHorizon | undefined } {
    const versions = new Map(this.#keys.get(drop.key));
    for (const version of erase.slice(0, count)) versions.delete(version);
    const readableFrom =
      count < erase.length
        ? (erase[count] as number)
        : keepFrom === Number.POSITIVE_INFINITY
          ? drop.commitVersion
          : keepFrom;
    const old = this.#horizons.get(drop.key);
    const from = Math.min(old?.erasedFrom ?? Number.POSITIVE_INFINITY, erase[0] as number);
    const to = Math.max(old?.readableFrom ?? 0, readableFrom);
    return { versions, horizon: to > from ? { erasedFrom: from, readableFrom: to } : old };
  }

  /** The snapshot versions whose read of the key would change if `count` versions went. */
  #changedReads(
    drop: PendingDrop,
    erase: readonly number[],
    count: number,
    keepFrom: number,
    snapshots: readonly number[],
  ): number[] {
    const before = { versions: this.#keys.get(drop.key), horizon: this.#horizons.get(drop.key) };
    const after = this.#erased(drop, erase, count, keepFrom);
    return snapshots.filter((at) => {
      const was = readOf(before.versions, before.horizon, at);
      if (was === 'refused') return false; // already refused there: nothing to protect
      return readOf(after.versions, after.horizon, at) !== was;
    });
  }
}

/** Whether the binary-string key lies in a range of binary-string bounds. */
function inModelRange(key: string, range: ModelRange): boolean {
  if (range.prefix !== undefined) return key.startsWith(range.prefix);
  if (range.start !== undefined && key < range.start) return false;
  if (range.end === undefined) return true;
  return key < range.end || (range.endInclusive && key === range.end);
}

/** What a read at `at` answers, as text: the visible version, `none`, or `refused`. */
function readOf(
  versions: ReadonlyMap<number, Uint8Array | undefined> | undefined,
  horizon: ModelHorizon | undefined,
  at: number,
): string {
  if (horizon !== undefined && at >= horizon.erasedFrom && at < horizon.readableFrom)
    return 'refused';
  let best: number | undefined;
  for (const v of versions?.keys() ?? []) if (v <= at && (best === undefined || v > best)) best = v;
  return best === undefined ? 'none' : String(best);
}

/** Figures of keys, each with its stored versions newest first (the conformance README's rules). */
export function figuresOf(
  keys: Iterable<readonly [Uint8Array, readonly { readonly value: Uint8Array | undefined }[]]>,
): ModelFigures {
  const f: ModelFigures = {
    currentCount: 0,
    currentKeyBytes: 0,
    currentValueBytes: 0,
    historicalCount: 0,
    historicalKeyBytes: 0,
    historicalValueBytes: 0,
  };
  for (const [key, versions] of keys) {
    for (const [index, { value }] of versions.entries()) {
      if (index === 0 && value !== undefined) {
        f.currentCount++;
        f.currentKeyBytes += key.length + 10;
        f.currentValueBytes += value.length;
      } else {
        f.historicalCount++;
        f.historicalKeyBytes += key.length + 10;
        f.historicalValueBytes += value?.length ?? 0;
      }
    }
  }
  return f;
}

/**
 * The store delta of a model delta: a range drop is a `drop` with a prefix or
 * bounds instead of a key (an open range, which names none, is the empty prefix).
 */
export function toStoreDelta(delta: ModelDelta): Delta {
  if (delta.type !== 'drop-range') return delta;
  const { type: _, ...range } = delta;
  if (range.prefix === undefined && range.start === undefined && range.end === undefined) {
    const { endInclusive: _inclusive, ...constraints } = range;
    return { type: 'drop', ...constraints, prefix: new Uint8Array() } as Delta;
  }
  return { type: 'drop', ...range } as Delta;
}

/**
 * A deliberately simple model of the store, for model-based tests.
 *
 * Every key maps to a plain `Map<version, value | undefined>`; reads sort and
 * scan. Drops are queued like the real drop worker does and applied on
 * `flush()`, each judged by the drop rule of the README ("The drop rule")
 * written out longhand (no code shared with the store): select by the
 * constraints, erase only the selected versions older than every version
 * kept, and remember the versions whose reads that changed (the key's
 * horizon), which reads must then refuse. No snapshot is ever open in the
 * tests that use it. Keys are held as binary strings, whose order is
 * bytewise order.
 *
 * @module
 */

import { binaryStringToBytes, bytesToBinaryString } from '../common/bytes.js';

/** A model delta: keys and values already bytes. */
export type ModelDelta =
  | { readonly type: 'set' | 'unset'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'remove'; readonly key: Uint8Array }
  | {
      readonly type: 'drop';
      readonly key: Uint8Array;
      readonly upToVersion?: number;
      readonly keepLastVersions?: number;
    };

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
  #pending: PendingDrop[] = [];
  latestVersion = 0;

  constructor(readonly retentionOf: (key: Uint8Array) => number | undefined = () => undefined) {}

  /** Keys with drop requests not yet applied. */
  pendingKeys(): Set<string> {
    return new Set(this.#pending.map((drop) => drop.key));
  }

  commit(deltas: readonly ModelDelta[], version: number): void {
    const writes = new Map<string, Uint8Array | undefined>();
    for (const delta of deltas) {
      if (delta.type === 'drop') continue;
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
   * The first key a commit at `version` writes where erased history refuses
   * that version (the store refuses the whole commit), or `undefined`.
   */
  refusesWrite(deltas: readonly ModelDelta[], version: number): ModelRefusal | undefined {
    for (const delta of deltas) {
      if (delta.type === 'drop') continue;
      const refusal = this.refusal(delta.key, version);
      if (refusal !== undefined) return refusal;
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

  /** Apply every queued drop, one at a time, in commit order. */
  flush(): void {
    for (const drop of this.#pending) this.#applyDrop(drop);
    this.#pending = [];
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
  #applyDrop(drop: PendingDrop): void {
    const versions = this.#keys.get(drop.key);
    if (versions === undefined) return;
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
    const erase = judged.filter((version) => selected.has(version) && version < keepFrom);
    if (erase.length === 0) return;
    for (const version of erase) versions.delete(version);
    if (versions.size === 0) this.#keys.delete(drop.key);
    const deletes = keepFrom === Number.POSITIVE_INFINITY;
    this.#widen(drop.key, Math.min(...erase), deletes ? drop.commitVersion : keepFrom);
  }

  #widen(key: string, erasedFrom: number, readableFrom: number): void {
    const old = this.#horizons.get(key);
    const from = Math.min(old?.erasedFrom ?? erasedFrom, erasedFrom);
    const to = Math.max(old?.readableFrom ?? readableFrom, readableFrom);
    if (to > from) this.#horizons.set(key, { erasedFrom: from, readableFrom: to });
  }
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

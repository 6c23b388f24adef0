/**
 * The Hyperbee peer: the versioned B-tree of the JavaScript ecosystem, on a
 * Hypercore stored in the child's directory, with their default settings.
 *
 * Hyperbee versions differently from multistore: it keeps one tree of the
 * latest value of each key on an append-only log, and an older state is the
 * tree as of an older log length (`checkout(length)`). Its version numbers
 * are log lengths, not ours, so the subject keeps the map between them:
 *
 * ```
 *   commit at our version v   one batch of puts, flushed    log length after it: L(v)
 *   versions  [  3,    4,    5 ]    our commit versions, ascending
 *   lengths   [ 101, 201,  301 ]    the log length after each
 *
 *   read at version V   the last commit with v <= V: checkout(L(v)) (the tree itself if newest)
 *   entry found         its seq (log position) lies in one commit's span: that commit's v
 * ```
 *
 * so reads at a version and the versions they report mean exactly what they
 * mean for the other implementations, and the values stay the 100 bytes the
 * others store. A checkout is opened on first use and kept for later reads
 * at the same version, as a program reading at a version would keep it.
 *
 * Every operation is asynchronous and awaited: a commit is timed until its
 * batch is flushed to the log, a read until its entry is decoded. Hyperbee
 * cannot erase a key's old versions (the log is append-only), so it has no
 * `dropOld` and W6 is reported as not applicable (catalog.ts).
 *
 * @module
 */

import { join } from 'node:path';
import Hyperbee from 'hyperbee';
import Hypercore from 'hypercore';
import type { WriteBatch } from '../data.js';
import type { BenchSubject, ScanResult, SubjectOptions } from '../subject.js';

/** Open an empty Hyperbee in `dir`. */
export async function openHyperbee(options: SubjectOptions): Promise<BenchSubject> {
  const core = new Hypercore(join(options.dir, 'hypercore'));
  const bee = new Hyperbee(core, { keyEncoding: 'binary', valueEncoding: 'binary' });
  await bee.ready();
  return new HyperbeeSubject(bee);
}

class HyperbeeSubject implements BenchSubject {
  readonly #bee: Hyperbee;
  /** Our version of each commit, ascending. */
  readonly #versions: number[] = [];
  /** The log length after each commit (the Hyperbee version of that state). */
  readonly #lengths: number[] = [];
  /** Checkouts opened so far, by log length. */
  readonly #checkouts = new Map<number, Hyperbee>();

  constructor(bee: Hyperbee) {
    this.#bee = bee;
  }

  async write(batch: WriteBatch): Promise<void> {
    const { keys, values } = batch;
    const writes = this.#bee.batch();
    for (let i = 0; i < keys.length; i++) {
      await writes.put(keys[i] as Uint8Array, values[i] as Uint8Array);
    }
    await writes.flush();
    this.#versions.push(batch.version);
    this.#lengths.push(this.#bee.version);
  }

  async get(key: Uint8Array, version: number): Promise<number> {
    const tree = this.#treeAt(version);
    if (tree === undefined) return -1;
    const entry = await tree.get(key);
    return entry === null ? -1 : this.#versionOfSeq(entry.seq);
  }

  async scan(start: Uint8Array, end: Uint8Array | undefined, version: number): Promise<ScanResult> {
    const tree = this.#treeAt(version);
    let entries = 0;
    let versionSum = 0;
    if (tree === undefined) return { entries, versionSum };
    const range = end === undefined ? { gte: start } : { gte: start, lt: end };
    for await (const entry of tree.createReadStream(range)) {
      entries++;
      versionSum += this.#versionOfSeq(entry.seq);
    }
    return { entries, versionSum };
  }

  settle(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    for (const checkout of this.#checkouts.values()) await checkout.close();
    this.#checkouts.clear();
    await this.#bee.close();
  }

  /** The tree as of our `version`: the newest commit at or below it, or none before the first. */
  #treeAt(version: number): Hyperbee | undefined {
    const commit = lastAtOrBelow(this.#versions, version);
    if (commit < 0) return undefined;
    if (commit === this.#versions.length - 1) return this.#bee;
    const length = this.#lengths[commit] as number;
    let checkout = this.#checkouts.get(length);
    if (checkout === undefined) {
      checkout = this.#bee.checkout(length);
      this.#checkouts.set(length, checkout);
    }
    return checkout;
  }

  /** Our version of the commit whose span of the log holds `seq`. */
  #versionOfSeq(seq: number): number {
    return this.#versions[lastAtOrBelow(this.#lengths, seq) + 1] as number;
  }
}

/** The index of the last element of ascending `values` that is <= `bound`, or -1. */
function lastAtOrBelow(values: readonly number[], bound: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((values[middle] as number) <= bound) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}

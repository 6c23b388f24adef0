/**
 * The drop worker's queue: requests accepted and not applied yet, in commit
 * order, where a retention request replaces the queued one of its key.
 *
 * A retention table makes a `keepLastVersions` request per write. A key
 * written again before the worker got to it would be planned and erased once
 * per write; instead, the later request takes over from the earlier one,
 * under the rule parked requests already follow (parked-drops.ts,
 * `subsumes`): a `keepLastVersions: N` request without `upToVersion` or
 * pending version, queued right behind an equal one of its key with a
 * ceiling and a commit version at most as high, erases everything the earlier one would and
 * leaves the same horizon. "Right behind" means no other request of the key
 * and no range drop was queued in between, so the order of a key's requests
 * never changes; the later request keeps its own place, so the queue stays in
 * commit order. The replaced request is handed to the next step
 * ({@link PendingDrops.takeSuperseded}), which settles it in the request log
 * as applied.
 *
 * ```
 *   add  [a keep 1 @5]                    slots: a@5
 *   add  [b keep 1 @6]                    slots: a@5 b@6
 *   add  [a keep 1 @7]   replaces a@5     slots: ·   b@6 a@7     (weight of a@7: 2)
 *   add  [a upTo 9 @8]   not a retention  slots: ·   b@6 a@7 a@8
 *   add  [a keep 1 @9]   a@8 is a's last  slots: ·   b@6 a@7 a@8 a@9
 * ```
 *
 * Each live slot carries a weight: the accepted requests it stands for
 * (itself and those it replaced). The total weight is what the queue holds
 * back, each replaced request a version still stored that it would have
 * erased; backpressure bounds the weight, not only the slots (drop-worker.ts).
 *
 * Adding costs O(1) (one key string, two map lookups); a step takes its
 * requests from the head without moving the rest; emptied slots are
 * compacted away once they outnumber the live ones.
 *
 * @module
 */

import { bytesToBinaryString } from '../common/bytes.js';
import type { QueuedDrop } from './commit-requests.js';
import type { DropRequest } from './drop-batch.js';
import { subsumes } from './parked-drops.js';
import { RangeDrop } from './range-drops.js';

/**
 * `subsumes`, for requests that keep at least one version: a request that
 * keeps none deletes the key, and a deletion waits for snapshots on rules of
 * its own; such requests are not replaced in the queue.
 */
function replaces(later: DropRequest, earlier: DropRequest): boolean {
  return (later.keepLastVersions ?? 0) >= 1 && subsumes(later, earlier);
}

/** Emptied slots tolerated before a compaction is considered. */
const COMPACT_MIN = 1024;

/** What one step takes off the head of the queue. */
export interface TakenDrops {
  /** Per-key requests, in commit order. */
  readonly taken: DropRequest[];
  /** The range drop now at the head, when the step reached it (it stays until done). */
  readonly range: RangeDrop | undefined;
}

/** The ordered queue of requests not applied yet. */
export class PendingDrops {
  /** Slots in commit order; `undefined`: taken, or replaced by a later request of its key. */
  #slots: (QueuedDrop | undefined)[] = [];
  /** The key string of each per-key slot (to forget it from `#last` once taken). */
  #ids: (string | undefined)[] = [];
  #weights: number[] = [];
  /** Slots before this one are taken. */
  #head = 0;
  #live = 0;
  #weight = 0;
  #ranges = 0;
  /** Per table, per key string: the slot of the key's last queued request. */
  readonly #last = new Map<string, Map<string, number>>();
  #superseded: DropRequest[] = [];

  /** Requests queued (a replaced one no longer counts). */
  get size(): number {
    return this.#live;
  }

  /** Accepted requests the queue stands for: each live one, plus those it replaced. */
  get weight(): number {
    return this.#weight;
  }

  /** Range drops queued. */
  get ranges(): number {
    return this.#ranges;
  }

  /** Queue `request` after every earlier one, replacing the last request of its key if it may. */
  add(request: QueuedDrop): void {
    if (request instanceof RangeDrop) {
      this.#ranges++;
      // Nothing queued before a range drop may be replaced by a request after it.
      this.#last.clear();
      this.#push(request, undefined, 1);
      return;
    }
    let slots = this.#last.get(request.table);
    if (slots === undefined) {
      slots = new Map();
      this.#last.set(request.table, slots);
    }
    const id = bytesToBinaryString(request.key);
    const at = slots.get(id);
    let weight = 1;
    const earlier = at === undefined ? undefined : this.#slots[at];
    if (at !== undefined && earlier !== undefined && replaces(request, earlier as DropRequest)) {
      const replaced = this.#weights[at] as number;
      weight += replaced;
      this.#slots[at] = undefined;
      this.#live--;
      this.#weight -= replaced;
      this.#superseded.push(earlier as DropRequest);
    }
    slots.set(id, this.#slots.length);
    this.#push(request, id, weight);
  }

  /** The requests replaced since the last call (their records count as applied). */
  takeSuperseded(): DropRequest[] {
    if (this.#superseded.length === 0) return [];
    const taken = this.#superseded;
    this.#superseded = [];
    return taken;
  }

  /**
   * Take the per-key requests at the head, oldest first, until they stand
   * for `maxWeight` accepted requests or a range drop comes up; that range
   * drop (left at the head) is returned when the step reached it.
   */
  take(maxWeight: number = Number.POSITIVE_INFINITY): TakenDrops {
    const slots = this.#slots;
    const taken: DropRequest[] = [];
    if (this.#ranges === 0 && maxWeight >= this.#weight) {
      for (let at = this.#head; at < slots.length; at++) {
        const request = slots[at];
        if (request !== undefined) taken.push(request as DropRequest);
      }
      this.#reset();
      return { taken, range: undefined };
    }
    let weight = 0;
    let at = this.#head;
    for (; at < slots.length && weight < maxWeight; at++) {
      const request = slots[at];
      if (request === undefined) continue;
      if (request instanceof RangeDrop) break;
      taken.push(request);
      weight += this.#weights[at] as number;
      this.#forget(request, at);
    }
    this.#live -= taken.length;
    this.#weight -= weight;
    this.#advance(at);
    const head = slots[this.#head];
    return { taken, range: weight < maxWeight && head instanceof RangeDrop ? head : undefined };
  }

  /** The range drop at the head is done: remove it. */
  removeHeadRange(): void {
    if (!(this.#slots[this.#head] instanceof RangeDrop)) return;
    this.#ranges--;
    this.#live--;
    this.#weight--;
    this.#advance(this.#head + 1);
  }

  /** The live requests, in commit order. */
  *requests(): Generator<QueuedDrop, void, undefined> {
    const slots = this.#slots;
    for (let at = this.#head; at < slots.length; at++) {
      const request = slots[at];
      if (request !== undefined) yield request;
    }
  }

  #push(request: QueuedDrop, id: string | undefined, weight: number): void {
    this.#slots.push(request);
    this.#ids.push(id);
    this.#weights.push(weight);
    this.#live++;
    this.#weight += weight;
    const empty = this.#slots.length - this.#live;
    if (empty > COMPACT_MIN && empty > this.#live) this.#compact();
  }

  /** Forget the taken slot `at` as its key's last request. */
  #forget(request: DropRequest, at: number): void {
    const slots = this.#last.get(request.table);
    const id = this.#ids[at] as string;
    if (slots?.get(id) === at) slots.delete(id);
  }

  /** Move the head to the first live slot at or after `at`. */
  #advance(at: number): void {
    if (this.#live === 0) {
      this.#reset();
      return;
    }
    while (at < this.#slots.length && this.#slots[at] === undefined) at++;
    this.#head = at;
  }

  #reset(): void {
    this.#slots = [];
    this.#ids = [];
    this.#weights = [];
    this.#head = 0;
    this.#live = 0;
    this.#weight = 0;
    this.#last.clear();
  }

  /** Drop the emptied slots; every key's last slot moves with it. */
  #compact(): void {
    const moved = new Int32Array(this.#slots.length);
    const slots: (QueuedDrop | undefined)[] = [];
    const ids: (string | undefined)[] = [];
    const weights: number[] = [];
    for (let at = this.#head; at < this.#slots.length; at++) {
      const request = this.#slots[at];
      if (request === undefined) continue;
      moved[at] = slots.length;
      slots.push(request);
      ids.push(this.#ids[at]);
      weights.push(this.#weights[at] as number);
    }
    // A key's last slot is always live: it moved.
    for (const byKey of this.#last.values()) {
      for (const [id, at] of byKey) byKey.set(id, moved[at] as number);
    }
    this.#slots = slots;
    this.#ids = ids;
    this.#weights = weights;
    this.#head = 0;
  }
}

/**
 * Group commit: the grouped commits (`commitAsync`) of one turn share one
 * tier transaction, and each is acknowledged once that transaction has
 * committed.
 *
 * ```
 *   commitAsync ─► join(): no group open? tier.beginGroup(ended), end scheduled for the turn's end
 *               ─► tier.set(...)           a savepoint of the group: fails alone, rejects its own promise
 *               ─► add(member)             its promise, its announcement (watches, event)
 *                  writes >= GROUP_WRITES? end() now
 *   end of turn ─► end() ─► tier.endGroup() ─► COMMIT ─► ended(undefined): announce each, resolve each
 *   anything else that writes, or needs the file settled (a plain commit, a drop flush, flush(),
 *   compact, backup, snapshot, close) ─► the tier ends the group first, same path
 *   COMMIT fails ─► ended(error): every member rejects (TIER_IO), the store stops (STORE_FAILED)
 * ```
 *
 * "The turn's end" is the next macrotask turn in `event-loop` mode (so the
 * commits of many callbacks of one turn share the group), and a microtask in
 * `inline` mode: the end of the synchronous stretch of code that made the
 * commits, before any `await` on them resumes; no timer and no clock. A
 * group also ends once it holds {@link GROUP_WRITES} writes, so that its
 * memory, and the WAL it grows before a checkpoint, stay bounded.
 *
 * A member's announcement (its watches, its `storage-stats` event) waits for
 * the COMMIT: a listener never hears of a commit that a failed group took
 * back. Reads through the store see a grouped commit as soon as the call
 * returns (the same connection); other connections (a read-only store) once
 * its group has committed.
 *
 * @module
 */

import type { StoreError } from '../common/errors.js';
import type { ActorMode } from '../runtime/actor.js';
import { nextTurn } from '../runtime/next-turn.js';
import type { AbstractTier } from '../tier/abstract-tier.js';

/**
 * Writes (set, unset and drop deltas) after which a group commits without
 * waiting for the turn's end: big enough that an fsync is shared by many
 * commits, small enough that the dirty pages stay a few megabytes.
 */
export const GROUP_WRITES = 10_000;

/** One grouped commit waiting for its group's COMMIT. */
export interface GroupMember {
  /** Tell the watches and listeners about the commit (once it is durable). */
  readonly announce: () => void;
  readonly resolve: () => void;
  readonly reject: (error: StoreError) => void;
}

/** What the group needs from the writer. */
export interface GroupHost {
  readonly tier: AbstractTier;
  readonly mode: ActorMode;
  /** A group failed to commit: the store stops. */
  failed(error: StoreError): void;
}

/** The open group of one store, if any. */
export class CommitGroup {
  readonly #host: GroupHost;
  #members: GroupMember[] = [];
  #writes = 0;
  #scheduled = false;
  /** A group is open (the tier's; mirrored here so a plain commit asks the tier nothing). */
  #open = false;
  /** Counts the groups opened: which one a member was written in. */
  #generation = 0;
  /** The failure of a group's COMMIT (the store stopped), and which group it was. */
  #failure: StoreError | undefined;
  #failedGroup: number | undefined;

  constructor(host: GroupHost) {
    this.#host = host;
  }

  /**
   * Make sure a group is open for the next `set`; returns that group (a
   * number to hand to `add`), or `undefined` when the tier has no groups
   * (each `set` durable on its own: memory).
   */
  join(): number | undefined {
    if (this.#open) return this.#generation;
    if (!this.#host.tier.beginGroup((error) => this.#ended(error))) return undefined;
    this.#open = true;
    this.#generation++;
    this.#schedule();
    return this.#generation;
  }

  /**
   * A member whose `set` succeeded in group `joined` (what `join` returned);
   * ends the group once it is big enough.
   */
  add(member: GroupMember, writes: number, joined: number): void {
    if (!this.#open || joined !== this.#generation) {
      // Its group ended while it was written (its step ran a listener that
      // made a plain commit, or a drop flush): settled already, whatever
      // becomes of a group a listener opened since.
      if (this.#failure !== undefined && this.#failedGroup === joined) member.reject(this.#failure);
      else {
        member.announce();
        member.resolve();
      }
      return;
    }
    this.#members.push(member);
    this.#writes += Math.max(1, writes);
    if (this.#writes >= GROUP_WRITES) this.end();
  }

  /** Commit the open group now (nothing when none is open); throws `TIER_IO` if the COMMIT fails. */
  end(): void {
    if (this.#open) this.#host.tier.endGroup();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    const atTurnEnd = () => {
      this.#scheduled = false;
      try {
        this.end();
      } catch {
        // The members were rejected and the store stopped (#ended); nobody waits here.
      }
    };
    if (this.#host.mode === 'inline') queueMicrotask(atTurnEnd);
    else nextTurn(atTurnEnd);
  }

  /** The tier ended the group (here, or first thing in another call). */
  #ended(error: StoreError | undefined): void {
    this.#open = false;
    const members = this.#members;
    this.#members = [];
    this.#writes = 0;
    if (error !== undefined) {
      this.#failure = error;
      this.#failedGroup = this.#generation;
      this.#host.failed(error);
      for (const member of members) member.reject(error);
      return;
    }
    for (const member of members) member.announce();
    for (const member of members) member.resolve();
  }
}

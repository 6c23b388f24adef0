/**
 * Range drops: the drop of every key of a range, applied a page at a time.
 *
 * A range (or prefix) drop delta is one request in the drop queue, in commit
 * order with the others. It means exactly the per-key drop of each key of the
 * range that has stored history at or below its ceiling, requested by the
 * same commit: same constraints, same ceiling, same commit version, and the
 * commit's version as pending version of the keys that commit wrote. It is
 * never expanded at once (a range can hold millions of keys): when it reaches
 * the head of the queue, each flush step turns one page of its keys into
 * per-key requests, which go through the drop applier like any other, and
 * the step moves the range's cursor past them:
 *
 * ```
 *   queue:  [a keep 1 @5] [range "user:" upTo 9 @6] [b all @7]
 *   step 1: a keep 1 @5 + user:1..user:100 upTo 9 @6      one tier.drop, one stats record
 *   step 2: user:101..user:200 upTo 9 @6                  cursor: after user:100
 *   step 3: user:201..user:250 upTo 9 @6, the range is done
 *   step 4: b all @7                                      (commit order: after the range)
 * ```
 *
 * Keys are listed by stored history, not by what a read shows: each table the
 * range meets is paged at the ceiling, tombstones included, so a deleted key's
 * history is trimmed too; a key whose only versions came after the request
 * (above the ceiling) is not listed, and a per-key request would erase
 * nothing of it anyway. Each key is judged when the cursor reaches it: a
 * write at or below the ceiling committed before then (an explicit version)
 * is judged with the rest, as for a per-key request applied at that moment.
 *
 * Everything that makes a per-key drop safe holds for each key: what an open
 * snapshot reads is left in place and the rest parked (per key), horizons are
 * recorded with the erasure, and statistics come out of the same applier.
 *
 * A page is a read and a take: `nextPage` reads with `tier.page`; a shell
 * that reads otherwise (the PostgreSQL store, with SQL) asks `nextRead` what
 * to read and hands the keys to `take`, so the listing, the cursor and the
 * per-key requests are this module's in both.
 *
 * @module
 */

import { bytesToBinaryString, compareBytes } from '../common/bytes.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import type { Bound, PageRequest, RangeCursor } from '../tier/tier.js';
import { type KeyRange, keyRangeOf } from '../transaction/index.js';
import type { DropRequest } from './drop-batch.js';
import { boundKey } from './range.js';
import type { TableRouter } from './routing.js';

/** Where a range drop is: the table it pages, and the last key it expanded there. */
export interface RangeDropCursor {
  /** The table being paged (a name, so that it survives a reopen). */
  readonly table: string;
  /** The last key expanded in that table; `undefined` before the first page. */
  readonly lastKey: Uint8Array | undefined;
}

/** What a range drop request carries, besides its progress. */
export interface RangeDropSpec {
  readonly start: Bound;
  readonly end: Bound;
  readonly upToVersion: number | undefined;
  readonly keepLastVersions: number | undefined;
  /** The latest version once its commit was written: later versions are not judged. */
  readonly ceiling: number;
  /** The version of the commit that made the request. */
  readonly commitVersion: number;
  /** The keys (binary strings) its own commit wrote inside the range: pending at `commitVersion`. */
  readonly written: ReadonlySet<string>;
}

/** A range drop in the drop queue: the spec, and how far it got. */
export class RangeDrop {
  readonly spec: RangeDropSpec;
  /** The request-log record holding it (request-log.ts); its pages' requests carry it too. */
  readonly seq: number;
  /** The tables still to page, in order; the first is the one the cursor is in. */
  #tables: string[];
  #lastKey: Uint8Array | undefined;
  #failed = false;
  #keys: KeyRange | undefined;

  /**
   * `tables` are the names of the tables the range meets, in paging order
   * (see {@link RangeDrop.of}); `cursor` resumes a range drop part-way.
   */
  constructor(
    spec: RangeDropSpec,
    tables: readonly string[],
    seq: number,
    cursor?: RangeDropCursor,
  ) {
    this.spec = spec;
    this.seq = seq;
    const from = cursor === undefined ? 0 : tables.indexOf(cursor.table);
    if (cursor === undefined || from >= 0) {
      this.#tables = tables.slice(from);
      this.#lastKey = cursor?.lastKey;
    } else {
      // The cursor's table is gone (no longer declared: it held no key). The
      // tables after it in paging order are still to page.
      this.#tables = tables.slice(1).filter((name) => name > cursor.table);
      this.#lastKey = undefined;
    }
  }

  /**
   * A range drop from a commit, or resumed at `cursor`: over the tables of
   * `router` its range meets, paged in an order that does not depend on the
   * order of the declarations (which may change between opens): the
   * fallback first, then the declared tables by name. A resumed range so
   * finds every table it has not paged yet behind its cursor's.
   */
  static of(
    spec: RangeDropSpec,
    router: TableRouter,
    seq: number,
    cursor?: RangeDropCursor,
  ): RangeDrop {
    const [fallback, ...declared] = router
      .tablesMeeting(boundKey(spec.start), boundKey(spec.end))
      .map((table) => table.name);
    declared.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const tables = fallback === undefined ? declared : [fallback, ...declared];
    return new RangeDrop(spec, tables, seq, cursor);
  }

  /**
   * Its whole range, as the conflict checks see it: until it is applied it
   * counts as a write of every key there at its commit version
   * (stored-history.ts).
   */
  get keys(): KeyRange {
    this.#keys ??= keyRangeOf(this.spec.start, this.spec.end);
    return this.#keys;
  }

  /** True once the worker is done with it: every key expanded, or given up. */
  get done(): boolean {
    return this.#failed || this.#tables.length === 0;
  }

  /** True once every key of the range has been expanded (a given-up one is not: its record stays). */
  get finished(): boolean {
    return !this.#failed && this.#tables.length === 0;
  }

  /**
   * Give up the rest of the range for now (a page could not be read): its
   * log record keeps it, at its cursor, for the next open.
   */
  abandon(): void {
    this.#failed = true;
  }

  /** Where the next page starts; `undefined` once finished. */
  get cursor(): RangeDropCursor | undefined {
    const table = this.#tables[0];
    return table === undefined ? undefined : { table, lastKey: this.#lastKey };
  }

  /**
   * The per-key requests of the next (at most) `limit` keys, in key order
   * within a table, and the cursor moved past them: one `tier.page` call.
   * A table whose page comes back short is finished; an empty one (nothing
   * at or below the ceiling) gives no request and moves to the next table.
   */
  nextPage(tier: AbstractTier, limit: number): DropRequest[] {
    const read = this.nextRead(limit);
    if (read === undefined) return [];
    const page = tier.page(read.table, read.request);
    const keys = page.entries.map((entry) => entry.key);
    return this.take(read.table, keys, page.cursor?.lastKey);
  }

  /**
   * What the next page reads: one table's keys of the range at the ceiling
   * (tombstones included), after the cursor; `undefined` once done. A shell
   * that reads otherwise (the PostgreSQL store's, with SQL) reads this, then
   * hands the keys to {@link RangeDrop.take}.
   */
  nextRead(limit: number): { table: string; request: PageRequest } | undefined {
    const table = this.#tables[0];
    if (table === undefined || this.#failed) return undefined;
    const { start, end, ceiling } = this.spec;
    const cursor: RangeCursor | undefined =
      this.#lastKey === undefined ? undefined : { lastKey: this.#lastKey };
    return { table, request: { start, end, version: ceiling, limit, cursor } };
  }

  /**
   * The per-key requests of `keys`, the page {@link RangeDrop.nextRead} asked
   * for, and the cursor moved past them: to `next` (the page's last key, the
   * table may hold more) or, when `undefined`, to the next table.
   */
  take(table: string, keys: readonly Uint8Array[], next: Uint8Array | undefined): DropRequest[] {
    if (table !== this.#tables[0]) throw new Error(`range drop page of ${table} out of turn`);
    const requests = keys.map((key) => this.requestOf(table, key));
    if (next === undefined) {
      this.#tables.shift();
      this.#lastKey = undefined;
    } else {
      this.#lastKey = next;
    }
    return requests;
  }

  /**
   * The per-key request this range drop makes of `key` in `table`: its
   * constraints, ceiling and commit version, pending at the commit's version
   * when its commit wrote the key.
   */
  requestOf(table: string, key: Uint8Array): DropRequest {
    const { upToVersion, keepLastVersions, ceiling, commitVersion, written } = this.spec;
    const pending = written.size > 0 && written.has(bytesToBinaryString(key));
    return {
      table,
      key,
      upToVersion,
      keepLastVersions,
      pendingVersion: pending ? commitVersion : undefined,
      ceiling,
      commitVersion,
      seq: this.seq,
    };
  }
}

/** Whether `key` lies inside the bounds `[start, end]` (each bound included, excluded or open). */
export function inBounds(key: Uint8Array, start: Bound, end: Bound): boolean {
  if (start.kind !== 'unbounded') {
    const c = compareBytes(key, start.key);
    if (c < 0 || (c === 0 && start.kind === 'excluded')) return false;
  }
  if (end.kind !== 'unbounded') {
    const c = compareBytes(key, end.key);
    if (c > 0 || (c === 0 && end.kind === 'excluded')) return false;
  }
  return true;
}

/**
 * The retention sweep: applying a retention policy to data written before it.
 *
 * Retention requests are logged with their commits, so a crash loses none
 * (request-log.ts). But a table's data can still hold more versions than its
 * policy allows when the policy became stricter after the data was written,
 * or when the file comes from the first format, which kept requests in
 * memory only (retention-record.ts decides which tables). The store then
 * walks each such table once and queues, logged and through the drop worker
 * like any other request, a `keepLastVersions` drop for each key over its
 * limit:
 *
 * ```
 *   open ─► (returns at once)
 *           sweep: table "sessions" (keep 1), a page of keys at a time
 *             s:1 [9 7 3] ──► request keep 1        s:2 [8] ──► fine
 *           ...between pages, the event loop runs
 *   flush() ─► waits for the sweep, then for the worker
 * ```
 *
 * Each request's ceiling is the latest version at open, so the sweep never
 * judges versions written after the store opened.
 *
 * @module
 */

import { MAX_VERSION } from '../common/version.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { pages } from '../tier/paging.js';
import type { TableConfig } from './options.js';
import type { UnloggedRequest } from './request-log.js';

/** Keys read per page of the sweep. */
const SWEEP_PAGE = 256;

/** What the sweep needs from the store. */
export interface SweepTarget {
  readonly tier: AbstractTier;
  readonly tables: readonly TableConfig[];
  /** The latest version when the store opened. */
  readonly ceiling: number;
  /** Log requests and hand them to the drop worker. */
  submit(requests: readonly UnloggedRequest[]): void;
  /** False once the store is closing: the sweep stops early (nothing is lost, the next open sweeps again). */
  isOpen(): boolean;
  /** Called once the sweep went through every table. */
  done(): void;
}

/**
 * The sweep, one page per step: each call of `next()` reads one page of one
 * table and submits the requests it finds. Done when `next()` returns false.
 */
export function* sweepSteps(target: SweepTarget): Generator<void, void, undefined> {
  if (!target.isOpen()) return;
  for (const table of target.tables) {
    const keep = table.keepLastVersions;
    if (keep === undefined) continue;
    const request = { version: MAX_VERSION, limit: SWEEP_PAGE };
    for (const page of pages(target.tier, table.name, request)) {
      target.submit(requestsFor(target, table.name, keep, page.entries));
      yield;
      // The next page is read only if the store is still open.
      if (!target.isOpen()) return;
    }
  }
  target.done();
}

function requestsFor(
  target: SweepTarget,
  table: string,
  keep: number,
  entries: readonly { readonly key: Uint8Array }[],
): UnloggedRequest[] {
  const requests: UnloggedRequest[] = [];
  for (const { key } of entries) {
    if (target.tier.getVersionSizes(table, key).length <= keep) continue;
    const { ceiling } = target;
    requests.push({ table, key, keepLastVersions: keep, ceiling, commitVersion: ceiling });
  }
  return requests;
}

/** Run the sweep to the end now (inline mode: no background work). */
export function runSweep(target: SweepTarget): void {
  for (const _ of sweepSteps(target)) {
    // each step already submitted its requests
  }
}

/** Run the sweep a page per event-loop turn, starting on a later turn; resolves when done. */
export async function runSweepInBackground(target: SweepTarget): Promise<void> {
  const steps = sweepSteps(target);
  do {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
  } while (steps.next().done !== true);
}

/**
 * A deterministic workload for the lifecycle tests, and the checks that a
 * store ended up exactly where the model says.
 *
 * Every commit made through a {@link CommitLog} is recorded in the order the
 * store applied it, including commits made from inside event listeners, so
 * that the model can replay exactly what happened:
 *
 * ```
 *   log.commit(store, deltas, v) ─► recorded ─► store.commit(...)
 *       └─ (inline: a listener commits inside) ─► recorded after it
 *   later: log.replay(model); model.flush(); expectExact(store, tier, model, log.keys)
 * ```
 *
 * "Exact" means: every stored version of every key used, a full range, the
 * tracked figures equal to the model's AND to a recount of what the tier
 * actually holds, table by table.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { bytesToBinaryString, utf8 } from '../../common/bytes.js';
import { recountFigures } from '../../stats/recount.js';
import type { MultiStore } from '../../store/multistore.js';
import type { TableDeclaration } from '../../store/options.js';
import { expectSameContents } from '../../test-support/store-checks.js';
import type { KeyModelDelta, StoreModel } from '../../test-support/store-model.js';
import type { AbstractTier } from '../../tier/abstract-tier.js';

/** Tables of the lifecycle workload: two retention tables, an audit table, a plain one. */
export const LIFECYCLE_TABLES: readonly TableDeclaration[] = [
  { name: 'single', prefix: 's:', retention: { keepLastVersions: 1 } },
  { name: 'recent', prefix: 'r:', retention: { keepLastVersions: 2 } },
  { name: 'audit', prefix: 'audit:', retention: { keepLastVersions: 2 } },
  { name: 'plain', prefix: 'p:' },
];

/** Retention of a key under {@link LIFECYCLE_TABLES} (longest prefix; none match each other). */
export function lifecycleRetention(key: Uint8Array): number | undefined {
  const text = bytesToBinaryString(key);
  for (const table of LIFECYCLE_TABLES)
    if (text.startsWith(table.prefix as string)) return table.retention?.keepLastVersions;
  return undefined;
}

/** The deltas of commit number `i` (1-based): sets, tombstones and drops over a few keys. */
export function workloadDeltas(i: number): KeyModelDelta[] {
  const deltas: KeyModelDelta[] = [
    { type: 'set', key: utf8(`s:${i % 5}`), value: utf8(`single ${i}`) },
    { type: 'set', key: utf8(`r:${i % 4}`), value: utf8(`recent ${i}`.repeat(1 + (i % 3))) },
  ];
  const plain = utf8(`p:${i % 3}`);
  if (i % 3 === 0) deltas.push({ type: 'remove', key: plain });
  else deltas.push({ type: 'set', key: plain, value: utf8(`plain ${i}`) });
  if (i % 7 === 0) deltas.push({ type: 'drop', key: plain, keepLastVersions: 2 });
  if (i % 11 === 0)
    deltas.push({ type: 'unset', key: utf8(`r:${(i + 1) % 4}`), value: utf8('old') });
  if (i % 13 === 0)
    deltas.push({ type: 'drop', key: utf8(`p:${(i + 1) % 3}`), upToVersion: i - 4 });
  if (i % 17 === 0) deltas.push({ type: 'drop', key: utf8(`s:${(i + 2) % 5}`) });
  return deltas;
}

/** Commits in the order the store applied them. */
export class CommitLog {
  readonly entries: { readonly deltas: readonly KeyModelDelta[]; readonly version: number }[] = [];
  readonly #keys = new Map<string, Uint8Array>();

  /** Record, then commit (a listener committing inside is recorded after this one). */
  commit(store: MultiStore, deltas: readonly KeyModelDelta[], version: number): void {
    this.entries.push({ deltas, version });
    for (const delta of deltas) this.#keys.set(bytesToBinaryString(delta.key), delta.key);
    store.commit(deltas, version);
  }

  /** Every key any commit named. */
  get keys(): Uint8Array[] {
    return [...this.#keys.values()];
  }

  replay(model: StoreModel): void {
    for (const { deltas, version } of this.entries) model.commit(deltas, version);
  }
}

/** The store holds exactly what the (flushed) model holds; figures equal the model and a recount. */
export function expectExact(
  store: MultiStore,
  tier: AbstractTier,
  model: StoreModel,
  keys: readonly Uint8Array[],
): void {
  expectSameContents(store, model, keys);
  const stats = store.stats();
  const recount = Object.fromEntries(
    [...recountFigures(tier, Object.keys(stats.tables))].map(([name, f]) => [name, { ...f }]),
  );
  const tracked = Object.fromEntries(
    Object.entries(stats.tables).map(([name, f]) => [name, { ...f }]),
  );
  assert.deepEqual(tracked, recount, 'figures per table equal a recount of the tier');
}

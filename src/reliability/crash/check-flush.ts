/**
 * The checks after `await store.flush()` that follows a reopen.
 *
 * The flush waits for the retention sweep (drops a crash lost, re-queued at
 * open) and for the drop worker. Afterwards, by the rule in model.ts:
 *
 * - every key of a retention table holds exactly its min(N, written) newest
 *   versions: the sweep and the implicit drops never erase those, and every
 *   older version is at or below the sweep's ceiling;
 * - the tables without retention hold exactly what they held before the flush
 *   (the parent's fresh store has no drop of its own pending, so only the
 *   sweep could have changed them, and it must not);
 * - the statistics equal figures recounted from `versions` of every key.
 *
 * @module
 */

import { utf8 } from '../../common/bytes.js';
import type { StorageFigures } from '../../stats/figures.js';
import type { MultiStore } from '../../store/multistore.js';
import { figuresOf } from '../../test-support/store-model.js';
import { type Findings, settled } from './findings.js';
import type { CrashModel, KeyModel } from './model.js';
import { keysOf, WORKLOAD_TABLES, type WorkloadTable } from './workload.js';

/** Flush (the reopen sweep and the worker), then retention, history and statistics checks. */
export async function checkAfterFlush(
  store: MultiStore,
  model: CrashModel,
  findings: Findings,
): Promise<void> {
  const history = snapshotHistory(store);
  if (!(await settled(store.flush(), 'flush after reopen', findings))) return;
  for (const [key, before] of history) {
    const after = store.versions(key).map((entry) => entry.version);
    if (after.join() !== before.join())
      findings.add(`the sweep touched ${key}: [${before}] became [${after}]`);
  }
  for (const table of WORKLOAD_TABLES) {
    if (table.keep === undefined) continue;
    for (const key of keysOf(table)) checkRetainedKey(store, model.key({ table, key }), findings);
  }
  checkStatistics(store, findings);
}

/** Versions of every key of the tables without retention. */
function snapshotHistory(store: MultiStore): Map<string, number[]> {
  const snapshot = new Map<string, number[]>();
  for (const table of WORKLOAD_TABLES) {
    if (table.keep !== undefined) continue;
    for (const key of keysOf(table))
      snapshot.set(
        key,
        store.versions(key).map((entry) => entry.version),
      );
  }
  return snapshot;
}

/** After the sweep: exactly the newest N written versions; the model forgets the rest. */
function checkRetainedKey(store: MultiStore, keyModel: KeyModel, findings: Findings): void {
  const stored = store.versions(keyModel.key).map((entry) => entry.version);
  const expected = keyModel.retained();
  if (stored.join() !== expected.join()) {
    findings.add(
      `${keyModel.key} (${keyModel.table.name}, keep ${keyModel.table.keep}) holds [${stored}] after flush, expected [${expected}]`,
    );
  }
  for (const version of keyModel.versions.keys())
    if (!expected.includes(version)) keyModel.versions.delete(version);
}

/** `store.stats()` after the flush equals figures counted from `versions` of every key. */
function checkStatistics(store: MultiStore, findings: Findings): void {
  const stats = store.stats();
  for (const table of WORKLOAD_TABLES) {
    const counted = countTable(store, table);
    const reported = stats.tables[table.name];
    for (const field of Object.keys(counted) as (keyof StorageFigures)[]) {
      if (reported?.[field] !== counted[field])
        findings.add(
          `statistics of ${table.name}: ${field} is ${reported?.[field]}, a recount gives ${counted[field]}`,
        );
    }
  }
}

function countTable(store: MultiStore, table: WorkloadTable): StorageFigures {
  return figuresOf(keysOf(table).map((key) => [utf8(key), store.versions(key)] as const));
}

/**
 * The checks after `await store.flush()` that follows a reopen.
 *
 * The flush applies every request the crash left pending (the store queued
 * them again from its log at open) and whatever the reopen itself adds. By
 * the rule in model.ts the outcome no longer depends on where the kill
 * landed:
 *
 * - every key of every table holds exactly the versions the model leaves once
 *   every acknowledged request is applied: each acknowledged drop applied
 *   (explicit and retention alike), nothing else erased;
 * - the statistics equal figures recounted from `versions` of every key, and
 *   `store.verify()` finds no difference between the figures the file keeps
 *   and its data.
 *
 * Afterwards the model forgets the erased versions for good.
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

/** Flush (the recovered requests and the worker), then exact content, statistics and verify. */
export async function checkAfterFlush(
  store: MultiStore,
  model: CrashModel,
  findings: Findings,
): Promise<void> {
  if (!(await settled(store.flush(), 'flush after reopen', findings))) return;
  for (const table of WORKLOAD_TABLES) {
    for (const key of keysOf(table)) checkAppliedKey(store, model.key({ table, key }), findings);
  }
  checkStatistics(store, findings);
  checkVerify(store, 'after the flush', findings);
}

/** After the flush: exactly the versions every applied request leaves; the model settles. */
function checkAppliedKey(store: MultiStore, keyModel: KeyModel, findings: Findings): void {
  const stored = store.versions(keyModel.key).map((entry) => entry.version);
  const expected = keyModel.applied;
  if (stored.join() !== expected.join()) {
    findings.add(
      `${keyModel.key} (${keyModel.table.name}) holds [${stored}] after flush, expected [${expected}] (every acknowledged drop applied, nothing else)`,
    );
  }
  keyModel.settle();
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

/** `store.verify()`: the figures the file keeps equal a recount of its data. */
export function checkVerify(store: MultiStore, when: string, findings: Findings): void {
  for (const difference of store.verify()) {
    const { table, figure, stored, counted } = difference;
    findings.add(`verify ${when}: ${table}.${figure} is ${stored} in the file, ${counted} counted`);
  }
}

function countTable(store: MultiStore, table: WorkloadTable): StorageFigures {
  return figuresOf(keysOf(table).map((key) => [utf8(key), store.versions(key)] as const));
}

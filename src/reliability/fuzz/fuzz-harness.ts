/**
 * The API fuzz harness: runs one generated case against a real store and the
 * model.
 *
 * ```
 *   open attempt (hostile options) ─► succeeds (then closed) or StoreError;
 *                                     a failed open of a file leaves it openable
 *   working store (generated tables, or a fallback when they are rejected)
 *   calls ─► CaseRun (fuzz-case-run.ts; transactions: fuzz-tx-run.ts), each judged by fuzz-judge.ts
 *   end ─► flush; versions of every key used, full ranges and figures equal the model;
 *          close twice (concurrently); every method then throws STORE_CLOSED;
 *          a file is reopened and must still equal the model (nothing left to recover),
 *          and so must a read-only store opened beside it, whose commits throw READ_ONLY
 * ```
 *
 * @module
 */

import assert from 'node:assert/strict';
import { isStoreError } from '../../common/errors.js';
import { MockClock } from '../../runtime/clock.js';
import { MultiStore } from '../../store/multistore.js';
import type { MultiStoreOptions } from '../../store/options.js';
import { expectSameContents } from '../../test-support/store-checks.js';
import { StoreModel } from '../../test-support/store-model.js';
import { CaseRun } from './fuzz-case-run.js';
import { routeRetention } from './fuzz-checks.js';
import { judge } from './fuzz-judge.js';
import { optionsOf, tablesOf } from './fuzz-materialize.js';
import type { OptionsSpec, TablesSpec } from './fuzz-open-specs.js';
import { ACCEPT } from './fuzz-predict.js';
import { predictOpen, predictTables } from './fuzz-predict-open.js';
import type { CallSpec } from './fuzz-specs.js';
import type { FuzzTally, Method } from './fuzz-tally.js';

/** Tables used when a case's own declarations are rejected. */
const FALLBACK_TABLES = [
  { name: 'single', prefix: 's:', retention: { keepLastVersions: 1 } },
  { name: 'recent', prefix: 'ab', retention: { keepLastVersions: 2 } },
  { name: 'plain', prefix: 'a' },
];

/** One generated case. */
export interface FuzzCase {
  readonly attempt: OptionsSpec;
  readonly tables: TablesSpec;
  readonly inline: boolean;
  readonly mockClock: boolean;
  readonly batchSize: number;
  readonly mailboxCapacity: number;
  /** SQLite only: put the working store in a file and reopen it at the end. */
  readonly file: boolean;
  readonly calls: readonly CallSpec[];
}

/** What a run shares across cases. */
export interface FuzzEnv {
  readonly tier: 'memory' | 'sqlite';
  readonly tally: FuzzTally;
  readonly tempPath: () => string;
}

/** A hostile `MultiStore.open`: fails cleanly or opens a store that then closes. */
async function attemptOpen(spec: OptionsSpec, env: FuzzEnv): Promise<void> {
  const options = optionsOf(spec, env.tempPath);
  // Refusals (a partial clock, a misspelt property...) are predicted like every other outcome.
  const opened = judge(env.tally, 'open', predictOpen(spec), () =>
    MultiStore.open(options as MultiStoreOptions),
  );
  if (opened.ok) {
    await opened.value.close();
    return;
  }
  const path =
    spec.top === undefined && typeof options === 'object' && options !== null
      ? (options as { path?: unknown }).path
      : undefined;
  if (typeof path === 'string' && path.endsWith('.db')) await expectUsable(path, env.tally);
}

/** After a failed open, the file opens again (without tables): not locked, nothing half-written. */
async function expectUsable(path: string, tally: FuzzTally): Promise<void> {
  const again = judge(tally, 'open', ACCEPT, () => MultiStore.open({ path }));
  assert.ok(again.ok, `reopening ${path} after a failed open`);
  await again.value.close();
}

/** Open the case's working store; its tables when accepted, else the fallback. */
async function openWorking(c: FuzzCase, env: FuzzEnv, path: string | undefined) {
  const clock = c.mockClock ? new MockClock() : undefined;
  const base: MultiStoreOptions = {
    tier: env.tier,
    ...(path === undefined ? {} : { path }),
    actorMode: c.inline ? 'inline' : 'event-loop',
    dropWorker: { batchSize: c.batchSize, mailboxCapacity: c.mailboxCapacity },
    ...(clock === undefined ? {} : { clock }),
  };
  const tables = tablesOf(c.tables);
  const opened = judge(env.tally, 'open', predictTables(c.tables), () =>
    MultiStore.open({ ...base, tables: tables as MultiStoreOptions['tables'] }),
  );
  if (!opened.ok && path !== undefined) await expectUsable(path, env.tally);
  const accepted = opened.ok ? tables : FALLBACK_TABLES;
  const store = opened.ok ? opened.value : MultiStore.open({ ...base, tables: FALLBACK_TABLES });
  return {
    store,
    clock,
    reopen: () => MultiStore.open({ ...base, tables: accepted as MultiStoreOptions['tables'] }),
    accepted,
  };
}

/** Every method of a closed store throws STORE_CLOSED. */
async function expectClosed(store: MultiStore, tally: FuzzTally): Promise<void> {
  const calls: [Method, () => unknown][] = [
    ['commit', () => store.commit([{ type: 'set', key: 'a', value: 'b' }], 1)],
    ['get', () => store.get('a')],
    ['contains', () => store.contains('a')],
    ['versions', () => store.versions('a')],
    ['range', () => store.range()],
    ['stats', () => store.stats()],
    ['dropWorkerStats', () => store.dropWorkerStats()],
    ['begin', () => store.begin()],
    ['transaction', () => store.transaction(() => 1)],
  ];
  for (const [method, fn] of calls) {
    assert.throws(fn, (e: unknown) => isStoreError(e, 'STORE_CLOSED'), `${method} after close`);
    tally.record(method, 'STORE_CLOSED');
  }
  for (const [name, fn] of [
    ['latestVersion', () => store.latestVersion],
    ['tierKind', () => store.tierKind],
    ['events', () => store.events],
  ] as const) {
    assert.throws(fn, (e: unknown) => isStoreError(e, 'STORE_CLOSED'), `${name} after close`);
  }
  await assert.rejects(
    store.flush(),
    (e: unknown) => isStoreError(e, 'STORE_CLOSED'),
    'flush after close',
  );
  tally.record('flush', 'STORE_CLOSED');
}

/** Run one generated case (see the module comment). */
export async function runCase(c: FuzzCase, env: FuzzEnv): Promise<void> {
  env.tally.cases++;
  await attemptOpen(c.attempt, env);
  const path = c.file ? env.tempPath() : undefined;
  const { store, clock, reopen, accepted } = await openWorking(c, env, path);
  const model = new StoreModel(routeRetention(accepted));
  const run = new CaseRun(store, model, env.tally, clock);
  try {
    for (const spec of c.calls) await run.run(spec);
    await run.finish();
  } finally {
    await Promise.all([store.close(), store.close()]);
  }
  await store.close();
  env.tally.record('close', 'ok');
  assert.equal(store.closed, true);
  await expectClosed(store, env.tally);
  if (path === undefined) return;
  // A flushed store left nothing for the reopen to recover or
  // erase: the reopened store shows exactly what the closed one did.
  const again = reopen();
  try {
    await again.flush();
    expectSameContents(again, model, run.keys);
    await expectReadOnlyBeside(path, model, run.keys, env.tally);
  } finally {
    await again.close();
  }
}

/** A read-only store beside the writer shows the same contents and refuses commits. */
async function expectReadOnlyBeside(
  path: string,
  model: StoreModel,
  keys: Iterable<Uint8Array>,
  tally: FuzzTally,
): Promise<void> {
  const reader = MultiStore.open({ path, readOnly: true });
  try {
    expectSameContents(reader, model, keys);
    assert.throws(
      () => reader.commit([{ type: 'set', key: 'a', value: 'b' }], model.latestVersion + 1),
      (e: unknown) => isStoreError(e, 'READ_ONLY'),
    );
    tally.record('commit', 'READ_ONLY');
  } finally {
    await reader.close();
  }
}

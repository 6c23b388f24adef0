/**
 * The child of recovery.test.ts: commit the fixture with a drop worker that
 * never flushes, say "ready", and wait to be killed.
 *
 * `batchSize` 100000 and `flushIntervalMs` 1e9 keep every drop request (the
 * retention tables' and the explicit ones; a reader at version 0 keeps the
 * retention writes from trimming in their commits) pending, and a turn of the event
 * loop after each commit lets the worker take its message (so a full mailbox
 * never makes a commit apply drops itself). The SIGKILL then lands with all
 * of them acknowledged and none applied. The line is
 * `ready <requests pending> <batches applied> <latest version> <parked>`.
 *
 * With `parked`, the worker flushes as usual instead, but a read-only
 * transaction begun after commit 1 stays open: what it still reads (every
 * version 1 a request would erase) is parked behind it. The child flushes,
 * then says "ready" with the requests applied and those parked; the SIGKILL
 * lands while the snapshot holds them back.
 *
 * Usage: `node recovery-child.js <file> [parked]`
 *
 * @module
 */

import { writeSync } from 'node:fs';
import { MultiStore } from '../../store/multistore.js';
import { RECOVERY_COMMITS, RECOVERY_DECLARATIONS, recoveryCommit } from './recovery-fixture.js';

/** Open transactions, kept reachable (a collected one would be released). */
const held: unknown[] = [];

async function main(): Promise<void> {
  const [path, mode] = process.argv.slice(2);
  if (path === undefined) throw new Error('usage: recovery-child <file> [parked]');
  const parked = mode === 'parked';
  const store = MultiStore.open({
    path,
    tables: RECOVERY_DECLARATIONS,
    dropWorker: parked ? {} : { batchSize: 100_000, flushIntervalMs: 1e9 },
  });
  // A reader at version 0 reads nothing a request erases, but keeps every
  // commit from trimming its retention tables in its own step: their
  // requests stay pending too.
  if (!parked) held.push(store.begin({ asOf: 0, readOnly: true }));
  for (let version = 1; version <= RECOVERY_COMMITS; version++) {
    store.commit(recoveryCommit(version), version);
    if (parked && version === 1) held.push(store.begin({ readOnly: true }));
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (parked) await store.flush();
  const stats = store.dropWorkerStats();
  const line = [stats.requests, stats.batches, store.latestVersion, stats.parked].join(' ');
  writeSync(1, `ready ${line}\n`);
  // Stay alive (and keep the store open) until the parent kills us.
  setInterval(() => {}, 60_000);
}

main().catch((error: unknown) => {
  process.stderr.write(`recovery child failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exitCode = 1;
});

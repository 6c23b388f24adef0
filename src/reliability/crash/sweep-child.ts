/**
 * The child of sweep.test.ts: commit the fixture with a drop worker that never
 * flushes, say "ready", and wait to be killed.
 *
 * `batchSize` 100000 and `flushIntervalMs` 1e9 keep every retention drop
 * request in the worker's memory, and a turn of the event loop after each
 * commit lets the worker take its message (so a full mailbox never makes a
 * commit apply drops itself). The SIGKILL then loses all of them: exactly the
 * situation the reopen sweep exists for. The line is
 * `ready <requests pending> <batches applied> <latest version>`.
 *
 * Usage: `node sweep-child.js <file>`
 *
 * @module
 */

import { writeSync } from 'node:fs';
import { MultiStore } from '../../store/multistore.js';
import { SWEEP_COMMITS, SWEEP_DECLARATIONS, sweepCommit } from './sweep-fixture.js';

async function main(): Promise<void> {
  const path = process.argv[2];
  if (path === undefined) throw new Error('usage: sweep-child <file>');
  const store = MultiStore.open({
    path,
    tables: SWEEP_DECLARATIONS,
    dropWorker: { batchSize: 100_000, flushIntervalMs: 1e9 },
  });
  for (let version = 1; version <= SWEEP_COMMITS; version++) {
    store.commit(sweepCommit(version), version);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { requests, batches } = store.dropWorkerStats();
  writeSync(1, `ready ${requests} ${batches} ${store.latestVersion}\n`);
  // Stay alive (and keep the store open) until the parent kills us.
  setInterval(() => {}, 60_000);
}

main().catch((error: unknown) => {
  process.stderr.write(`sweep child failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exitCode = 1;
});

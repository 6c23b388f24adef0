/**
 * The child of range-recovery.test.ts: write {@link RANGE_KEYS} keys three
 * times (some deleted at 3), commit a prefix drop keeping one version, say
 * "ready", and wait to be killed.
 *
 * `queued`: the drop worker never flushes, so the range drop is in the log
 * untouched at the SIGKILL. `partway`: a read-only transaction at version 2
 * stays open and the worker takes one key per step (batchSize 1), a step per
 * turn; once {@link PARTWAY_STEPS} steps are applied the child says "ready"
 * and blocks its event loop, so the SIGKILL lands with the range part-way
 * and the keys it passed parked behind the snapshot. The line is
 * `ready <batches applied> <parked> <latest version>`.
 *
 * Usage: `node range-recovery-child.js <file> queued|partway`
 *
 * @module
 */

import { writeSync } from 'node:fs';
import { MultiStore } from '../../store/multistore.js';
import { PARTWAY_STEPS, rangeRecoveryCommit } from './range-recovery-fixture.js';

/** Open transactions, kept reachable (a collected one would be released). */
const held: unknown[] = [];

async function main(): Promise<void> {
  const [path, mode] = process.argv.slice(2);
  if (path === undefined || (mode !== 'queued' && mode !== 'partway'))
    throw new Error('usage: range-recovery-child <file> queued|partway');
  const partway = mode === 'partway';
  const store = MultiStore.open({
    path,
    dropWorker: partway ? { batchSize: 1, flushIntervalMs: 1e9 } : { flushIntervalMs: 1e9 },
  });
  for (let version = 1; version <= 3; version++) {
    store.commit(rangeRecoveryCommit(version), version);
    if (version === 2 && partway) held.push(store.begin({ readOnly: true }));
  }
  store.commit([{ type: 'drop', prefix: 'r/', keepLastVersions: 1 }], 4);
  while (partway && store.dropWorkerStats().batches < PARTWAY_STEPS)
    await new Promise((resolve) => setImmediate(resolve));
  const stats = store.dropWorkerStats();
  writeSync(1, `ready ${stats.batches} ${stats.parked} ${store.latestVersion}\n`);
  // Block the event loop: no further step runs before the parent's SIGKILL.
  for (;;) {}
}

main().catch((error: unknown) => {
  process.stderr.write(
    `range recovery child failed: ${error instanceof Error ? error.stack : error}\n`,
  );
  process.exitCode = 1;
});

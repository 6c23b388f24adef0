/**
 * The writer of the multi-process test: commits to the file until told to
 * stop (a line on stdin), then closes cleanly and prints `done <latest>`.
 * It prints `started` after its first commits, so that the readers start
 * while it writes.
 *
 * Usage: `node writer-child.js <file>`
 *
 * @module
 */

import { MultiStore } from '../../store/multistore.js';
import { ACCOUNTS, account, TABLES, valueAt } from './workload.js';

async function main(): Promise<void> {
  const path = process.argv[2];
  if (path === undefined) throw new Error('usage: writer-child <file>');
  const store = MultiStore.open({ path, tables: TABLES });
  let stopping = false;
  process.stdin.once('data', () => {
    stopping = true;
    process.stdin.destroy();
  });
  let version = store.latestVersion;
  while (!stopping) {
    for (let burst = 0; burst < 5; burst++) {
      version++;
      const value = valueAt(version);
      store.commit(
        Array.from({ length: ACCOUNTS }, (_, i) => ({ type: 'set', key: account(i), value })),
        version,
      );
    }
    if (version === 5) process.stdout.write('started\n');
    await new Promise((resolve) => setImmediate(resolve));
  }
  await store.close();
  process.stdout.write(`done ${version}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`writer failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exitCode = 1;
});

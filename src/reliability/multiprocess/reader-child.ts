/**
 * A reader of the multi-process test: opens the file read-only while the
 * writer commits, and for a while reads ranges (in small pages, so a range
 * spans many page reads), single keys and statistics, checking each against
 * what one commit looks like (workload.ts). Prints one JSON line:
 * `{ ranges, gets, stats, versionsSeen, violations: [...] }`.
 *
 * Usage: `node reader-child.js <file> <milliseconds>`
 *
 * @module
 */

import { fromUtf8 } from '../../common/bytes.js';
import { MultiStore } from '../../store/multistore.js';
import { ACCOUNTS, account, PREFIX, valueAt, WIDTH } from './workload.js';

async function main(): Promise<void> {
  const [path, millis] = process.argv.slice(2);
  if (path === undefined || millis === undefined)
    throw new Error('usage: reader-child <file> <ms>');
  const store = MultiStore.open({ path, readOnly: true });
  const violations: string[] = [];
  const versions = new Set<number>();
  const counts = { ranges: 0, gets: 0, stats: 0 };
  let latest = 0;
  const until = performance.now() + Number(millis);
  while (performance.now() < until && violations.length < 10) {
    const problem = checkRange(store, versions) ?? checkStats(store) ?? checkGet(store);
    if (problem !== undefined) violations.push(problem);
    const now = store.latestVersion;
    if (now < latest) violations.push(`latest version went back from ${latest} to ${now}`);
    latest = now;
    counts.ranges++;
    counts.gets++;
    counts.stats++;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await store.close();
  process.stdout.write(
    `${JSON.stringify({ ...counts, versionsSeen: versions.size, violations })}\n`,
  );
}

/** One range, read in pages of 7 keys: every account, all at one version. */
function checkRange(store: MultiStore, versions: Set<number>): string | undefined {
  const entries = [...store.range({ prefix: PREFIX }, { pageSize: 7 })];
  if (entries.length !== ACCOUNTS) return `a range saw ${entries.length} accounts`;
  const seen = new Set(entries.map((entry) => entry.version));
  if (seen.size !== 1) return `a range saw a partial commit: versions ${[...seen].join(', ')}`;
  const version = entries[0]?.version ?? 0;
  versions.add(version);
  for (const entry of entries)
    if (fromUtf8(entry.value) !== valueAt(version)) return `a wrong value at version ${version}`;
  return undefined;
}

/** The statistics: every account current, with its fixed-size value. */
function checkStats(store: MultiStore): string | undefined {
  const figures = store.stats().tables.accounts;
  if (figures?.currentCount !== ACCOUNTS || figures.currentValueBytes !== ACCOUNTS * WIDTH)
    return `stats saw ${figures?.currentCount} current accounts, ${figures?.currentValueBytes} bytes`;
  return undefined;
}

/** One key at the latest version: its value is that of its version. */
function checkGet(store: MultiStore): string | undefined {
  const entry = store.get(account(Math.floor(Math.random() * ACCOUNTS)));
  if (entry === undefined) return 'a get saw no account';
  return fromUtf8(entry.value) === valueAt(entry.version) ? undefined : 'a get saw a wrong value';
}

main().catch((error: unknown) => {
  process.stderr.write(`reader failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exitCode = 1;
});

/**
 * Recovering drops that a crash lost (issue 6).
 *
 * A child commits six versions of 300 keys in each of three tables (retention
 * keep 1, keep 2, none) with a drop worker that never flushes, and is
 * SIGKILLed: every retention drop is lost and the file keeps every version.
 * The test then reopens the file as a store and checks, in both actor modes:
 *
 * - `MultiStore.open` returns before the sweep ran (the extra versions are
 *   still there right after it, and nothing was requested yet);
 * - after `await store.flush()` each retention key holds exactly its newest
 *   allowed versions, with their values, and the plain table lost nothing;
 * - the sweep queued exactly one request per key over its limit;
 * - the statistics after the flush equal a recount of the file.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fromUtf8 } from '../../common/bytes.js';
import { recountFigures } from '../../stats/recount.js';
import { MultiStore } from '../../store/multistore.js';
import { tempDir, turns } from '../../test-support/store-setups.js';
import { SqliteTier } from '../../tier/sqlite/sqlite-tier.js';
import {
  isTombstone,
  SWEEP_COMMITS,
  SWEEP_DECLARATIONS,
  SWEEP_KEYS,
  SWEEP_TABLES,
  type SweepTable,
  sweepKey,
  sweepValue,
  writtenVersions,
} from './sweep-fixture.js';

const CHILD = fileURLToPath(new URL('./sweep-child.js', import.meta.url));

/** Run the child until it says "ready", SIGKILL it, resolve with its ready line once it is gone. */
function crashAfterReady(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let ready: string | undefined;
    // Only a hang guard: a healthy child is ready in well under a second.
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const line = /^ready .*$/m.exec(out)?.[0];
      if (line !== undefined && ready === undefined) {
        ready = line;
        child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (ready !== undefined && signal === 'SIGKILL') resolve(ready);
      else reject(new Error(`sweep child ended without ready (${code ?? signal}): ${err}`));
    });
  });
}

/** Versions of every key of every table, read from the file through a raw tier. */
function rawVersions(path: string): Map<string, number[]> {
  const tier = SqliteTier.open(path);
  try {
    const all = new Map<string, number[]>();
    for (const table of SWEEP_TABLES)
      for (let i = 0; i < SWEEP_KEYS; i++) {
        const key = sweepKey(table, i);
        const versions = tier.getAllVersions(table.name, Buffer.from(key));
        all.set(
          key,
          versions.map((entry) => entry.version),
        );
      }
    return all;
  } finally {
    tier.close();
  }
}

function keptVersions(table: SweepTable, i: number): number[] {
  return writtenVersions(i).slice(0, table.keep ?? SWEEP_COMMITS);
}

/** Keys over their table's limit: what the sweep must find. */
function keysOverLimit(): number {
  let count = 0;
  for (const table of SWEEP_TABLES)
    for (let i = 0; i < SWEEP_KEYS; i++)
      if (table.keep !== undefined && writtenVersions(i).length > table.keep) count++;
  return count;
}

function assertEveryVersionStored(store: MultiStore): void {
  for (const table of SWEEP_TABLES)
    for (let i = 0; i < SWEEP_KEYS; i++) {
      const versions = store.versions(sweepKey(table, i)).map((entry) => entry.version);
      assert.deepEqual(versions, writtenVersions(i), `${sweepKey(table, i)} right after open`);
    }
}

function assertSwept(store: MultiStore): void {
  for (const table of SWEEP_TABLES)
    for (let i = 0; i < SWEEP_KEYS; i++) {
      const key = sweepKey(table, i);
      const stored = store.versions(key);
      assert.deepEqual(
        stored.map((entry) => entry.version),
        keptVersions(table, i),
        `${key} (${table.name}) after flush`,
      );
      for (const entry of stored) {
        const expected = isTombstone(i, entry.version) ? undefined : sweepValue(key, entry.version);
        const got = entry.value === undefined ? undefined : fromUtf8(entry.value);
        assert.equal(got, expected, `${key}@${entry.version} value`);
      }
    }
}

for (const actorMode of ['event-loop', 'inline'] as const) {
  describe(`retention sweep after a crash (${actorMode} mode)`, () => {
    it('the crash left every version, the sweep trims retention tables only, stats are exact', async () => {
      const dir = tempDir('multistore-sweep-');
      try {
        const path = `${dir.path}/sweep.db`;
        const ready = await crashAfterReady(path);
        const [, requests, batches, latest] = ready.split(' ').map(Number);
        assert.equal(latest, SWEEP_COMMITS);
        assert.ok((requests ?? 0) > 0, 'the child had drop requests pending');
        assert.equal(batches, 0, 'the child applied no drop before the crash');

        const before = rawVersions(path);
        for (const table of SWEEP_TABLES)
          for (let i = 0; i < SWEEP_KEYS; i++)
            assert.deepEqual(before.get(sweepKey(table, i)), writtenVersions(i));
        assert.ok(keysOverLimit() > SWEEP_KEYS, 'most retention keys are over their limit');

        const store = MultiStore.open({ path, tables: SWEEP_DECLARATIONS, actorMode });
        assert.equal(store.latestVersion, SWEEP_COMMITS);
        assertEveryVersionStored(store);
        assert.equal(store.dropWorkerStats().requests, 0, 'open did not run the sweep');
        if (actorMode === 'inline') {
          await turns(20);
          assertEveryVersionStored(store);
        }

        await store.flush();
        assertSwept(store);
        assert.equal(store.dropWorkerStats().requests, keysOverLimit());
        const stats = store.stats();
        await store.close();

        const tier = SqliteTier.open(path);
        try {
          const recount = recountFigures(tier);
          for (const table of SWEEP_TABLES)
            assert.deepEqual(
              { ...stats.tables[table.name] },
              { ...recount.get(table.name) },
              `statistics of ${table.name}`,
            );
        } finally {
          tier.close();
        }
      } finally {
        dir.cleanup();
      }
    });
  });
}

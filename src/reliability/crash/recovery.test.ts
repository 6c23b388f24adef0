/**
 * Nothing acknowledged is lost: drop requests pending at a crash are applied
 * after the reopen.
 *
 * A child commits six versions of 300 keys in each of three tables
 * (retention keep 1, keep 2, none) plus explicit drops, with a drop worker
 * that never flushes, and is SIGKILLed: every request is acknowledged and
 * none applied. The test then reopens the file as a store and checks, in
 * both actor modes:
 *
 * - the crash left every version, and the file's log holds every request;
 * - the store recovers exactly those requests at open, and its statistics,
 *   read from the file, already equal a recount (`verify()` is empty);
 * - after `await store.flush()` each key holds exactly what its requests
 *   leave (retention and explicit alike), with its values;
 * - a clean close leaves nothing to recover: the log is empty and the next
 *   open finds no request.
 *
 * A second child lets its worker flush but keeps a read-only transaction
 * open from version 1, so the requests that would erase what it reads are
 * parked behind it when the SIGKILL lands: their records are still in the
 * log, and the reopened store (no snapshot open any more) applies them. And
 * in one process: parked requests (retention requests of a key replacing
 * each other while parked among them) leave nothing in the log once the
 * snapshot ends and the store closes.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fromUtf8 } from '../../common/bytes.js';
import { MultiStore } from '../../store/multistore.js';
import { recoverRequests } from '../../store/request-log.js';
import { tempDir, turns } from '../../test-support/store-setups.js';
import { SqliteTier } from '../../tier/sqlite/sqlite-tier.js';
import { killWhenReady } from './kill-when-ready.js';
import {
  isTombstone,
  keptVersions,
  RECOVERY_COMMITS,
  RECOVERY_DECLARATIONS,
  RECOVERY_KEYS,
  RECOVERY_TABLES,
  recoveryCommit,
  recoveryKey,
  recoveryValue,
  writtenVersions,
} from './recovery-fixture.js';

const CHILD = fileURLToPath(new URL('./recovery-child.js', import.meta.url));

/** Run the child until it says "ready", SIGKILL it, resolve with its ready line once it is gone. */
function crashAfterReady(path: string, mode = ''): Promise<string> {
  return killWhenReady(CHILD, [path, ...(mode === '' ? [] : [mode])], 'recovery child');
}

/** Versions of every key and the pending requests, read from the file through a read-only tier. */
function rawState(path: string): { versions: Map<string, number[]>; pending: number } {
  const tier = SqliteTier.open(path, { readOnly: true });
  try {
    const versions = new Map<string, number[]>();
    for (const table of RECOVERY_TABLES)
      for (let i = 0; i < RECOVERY_KEYS; i++) {
        const key = recoveryKey(table, i);
        const stored = tier.getAllVersions(table.name, Buffer.from(key));
        versions.set(
          key,
          stored.map((entry) => entry.version),
        );
      }
    return { versions, pending: recoverRequests(tier.readLog()).length };
  } finally {
    tier.close();
  }
}

function assertEveryVersionStored(store: MultiStore): void {
  for (const table of RECOVERY_TABLES)
    for (let i = 0; i < RECOVERY_KEYS; i++) {
      const versions = store.versions(recoveryKey(table, i)).map((entry) => entry.version);
      assert.deepEqual(versions, writtenVersions(i), `${recoveryKey(table, i)} right after open`);
    }
}

function assertApplied(store: MultiStore): void {
  for (const table of RECOVERY_TABLES)
    for (let i = 0; i < RECOVERY_KEYS; i++) {
      const key = recoveryKey(table, i);
      const stored = store.versions(key);
      assert.deepEqual(
        stored.map((entry) => entry.version),
        keptVersions(table, i),
        `${key} (${table.name}) after flush`,
      );
      for (const entry of stored) {
        const expected = isTombstone(i, entry.version)
          ? undefined
          : recoveryValue(key, entry.version);
        const got = entry.value === undefined ? undefined : fromUtf8(entry.value);
        assert.equal(got, expected, `${key}@${entry.version} value`);
      }
    }
}

for (const actorMode of ['event-loop', 'inline'] as const) {
  describe(`recovery of drops pending at a crash (${actorMode} mode)`, () => {
    it('requests parked behind an open snapshot at the crash are applied after the reopen', async () => {
      const dir = tempDir('multistore-recovery-parked-');
      try {
        const path = `${dir.path}/parked.db`;
        const ready = await crashAfterReady(path, 'parked');
        const [, , batches, latest, parked] = ready.split(' ').map(Number);
        assert.equal(latest, RECOVERY_COMMITS);
        assert.ok((batches ?? 0) > 0, 'the child applied what no snapshot held back');
        assert.ok((parked ?? 0) > 0, 'the child had requests parked behind its snapshot');
        const before = rawState(path);
        assert.ok(before.pending >= (parked ?? 0), 'the log keeps every parked request');
        const heldBack = [...before.versions.values()].filter((v) => v.at(-1) === 1).length;
        assert.ok(heldBack > 0, 'versions the snapshot read were still stored at the crash');

        const store = MultiStore.open({ path, tables: RECOVERY_DECLARATIONS, actorMode });
        assert.equal(store.dropWorkerStats().requests, before.pending, 'open recovered them');
        await store.flush();
        assertApplied(store);
        assert.equal(store.dropWorkerStats().parked, 0);
        assert.deepEqual(store.verify(), []);
        await store.close();
        assert.equal(rawState(path).pending, 0, 'a clean close leaves nothing to recover');
      } finally {
        dir.cleanup();
      }
    });

    it('requests parked (and replacing each other) leave nothing in the log after a clean close', async () => {
      const dir = tempDir('multistore-recovery-close-');
      try {
        const path = `${dir.path}/close.db`;
        const store = MultiStore.open({ path, tables: RECOVERY_DECLARATIONS, actorMode });
        store.commit(recoveryCommit(1), 1);
        const tx = store.begin({ readOnly: true });
        for (let version = 2; version <= RECOVERY_COMMITS; version++) {
          store.commit(recoveryCommit(version), version);
          await store.flush();
        }
        assert.ok(store.dropWorkerStats().parked > 0, 'requests are parked behind the snapshot');
        assert.ok(rawState(path).pending > 0, 'and still in the log');
        tx.rollback();
        await store.flush();
        assertApplied(store);
        assert.equal(rawState(path).pending, 0, 'the snapshot ended: nothing left in the log');
        await store.close();

        // Closing with the snapshot still open: close ends it first, then applies everything.
        const reopened = MultiStore.open({ path, tables: RECOVERY_DECLARATIONS, actorMode });
        const open = reopened.begin({ readOnly: true });
        const one = RECOVERY_TABLES[0];
        for (let version = RECOVERY_COMMITS + 1; version <= RECOVERY_COMMITS + 3; version++) {
          const deltas = Array.from({ length: RECOVERY_KEYS }, (_, i) => ({
            type: 'set' as const,
            key: recoveryKey(one, i),
            value: `v${version}`,
          }));
          reopened.commit(deltas, version);
          await reopened.flush();
        }
        assert.ok(reopened.dropWorkerStats().parked > 0, 'parked behind the open snapshot');
        await reopened.close();
        assert.equal(open.state, 'rolled back');
        assert.equal(rawState(path).pending, 0, 'a clean close leaves nothing to recover');
      } finally {
        dir.cleanup();
      }
    });

    it('every acknowledged drop is applied after the reopen, and a clean close leaves nothing', async () => {
      const dir = tempDir('multistore-recovery-');
      try {
        const path = `${dir.path}/recovery.db`;
        const ready = await crashAfterReady(path);
        const [, requests, batches, latest] = ready.split(' ').map(Number);
        assert.equal(latest, RECOVERY_COMMITS);
        assert.ok((requests ?? 0) > RECOVERY_KEYS, 'the child had drop requests pending');
        assert.equal(batches, 0, 'the child applied no drop before the crash');

        const before = rawState(path);
        assert.equal(before.pending, requests, 'the log holds every acknowledged request');
        for (const table of RECOVERY_TABLES)
          for (let i = 0; i < RECOVERY_KEYS; i++)
            assert.deepEqual(before.versions.get(recoveryKey(table, i)), writtenVersions(i));

        // Inline mode applies a full batch of recovered requests at once (100 by
        // default); a batch larger than them all keeps open from applying any.
        const dropWorker = { batchSize: 100_000 };
        const store = MultiStore.open({
          path,
          tables: RECOVERY_DECLARATIONS,
          actorMode,
          dropWorker,
        });
        assert.equal(store.latestVersion, RECOVERY_COMMITS);
        assert.equal(store.dropWorkerStats().requests, requests, 'open recovered every request');
        assert.deepEqual(store.verify(), [], 'the figures read at open match the data');
        assertEveryVersionStored(store);
        await turns(5);
        if (actorMode === 'inline') assertEveryVersionStored(store);

        await store.flush();
        assertApplied(store);
        assert.deepEqual(store.verify(), []);
        await store.close();

        assert.equal(rawState(path).pending, 0, 'a clean close leaves nothing to recover');
        const again = MultiStore.open({ path, actorMode });
        try {
          assert.equal(again.dropWorkerStats().requests, 0);
          assertApplied(again);
          assert.deepEqual(again.verify(), []);
        } finally {
          await again.close();
        }
      } finally {
        dir.cleanup();
      }
    });
  });
}

/**
 * Nothing acknowledged is lost, for range drops too: a range drop pending at
 * a crash, untouched or part-way, is resumed after the reopen.
 *
 * A child (range-recovery-child.ts) commits the fixture and a prefix drop,
 * and is SIGKILLed: either before the drop worker touched the range
 * (`queued`), or with the range part-way and the keys it passed parked
 * behind an open snapshot (`partway`, its event loop blocked so that no step
 * runs after it says "ready"). The test reads the file's request log (the
 * range, with its cursor, and the parked keys as per-key requests), then
 * reopens the file in each actor mode: after `flush()` every key holds
 * exactly its newest version, the figures equal a recount, and a clean
 * close leaves nothing in the log.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fromUtf8 } from '../../common/bytes.js';
import { MultiStore } from '../../store/multistore.js';
import { recoverRanges, recoverRequests } from '../../store/request-log.js';
import { tempDir } from '../../test-support/store-setups.js';
import { SqliteTier } from '../../tier/sqlite/sqlite-tier.js';
import { killWhenReady } from './kill-when-ready.js';
import { deletedAtThree, PARTWAY_STEPS, RANGE_KEYS, rangeKey } from './range-recovery-fixture.js';

const CHILD = fileURLToPath(new URL('./range-recovery-child.js', import.meta.url));

/** Run the child until it says "ready", SIGKILL it; resolve with the numbers of its line. */
async function crashAfterReady(path: string, mode: 'queued' | 'partway'): Promise<number[]> {
  const ready = await killWhenReady(CHILD, [path, mode], 'range recovery child');
  return ready.split(' ').slice(1).map(Number);
}

/** The file as the crash left it: each key's versions, and the log's requests and range drops. */
function rawState(path: string) {
  const tier = SqliteTier.open(path, { readOnly: true });
  try {
    const versions = Array.from({ length: RANGE_KEYS }, (_, i) =>
      tier.getAllVersions('multi', Buffer.from(rangeKey(i))).map((entry) => entry.version),
    );
    const log = tier.readLog();
    return { versions, requests: recoverRequests(log), ranges: recoverRanges(log) };
  } finally {
    tier.close();
  }
}

/** Every key holds its version 3 alone (a tombstone for the deleted ones). */
function assertTrimmed(store: MultiStore): void {
  for (let i = 0; i < RANGE_KEYS; i++) {
    const stored = store.versions(rangeKey(i));
    assert.deepEqual(
      stored.map((entry) => entry.version),
      [3],
      `${rangeKey(i)} after flush`,
    );
    const value = stored[0]?.value;
    assert.equal(
      value === undefined ? undefined : fromUtf8(value),
      deletedAtThree(i) ? undefined : `${i}@3`,
    );
  }
}

async function reopenAndCheck(path: string, actorMode: 'event-loop' | 'inline'): Promise<void> {
  const store = MultiStore.open({ path, actorMode });
  try {
    await store.flush();
    assertTrimmed(store);
    assert.deepEqual(store.verify(), [], 'figures equal a recount');
  } finally {
    await store.close();
  }
  const after = rawState(path);
  assert.equal(after.requests.length + after.ranges.length, 0, 'a clean close leaves nothing');
}

for (const actorMode of ['event-loop', 'inline'] as const) {
  describe(`recovery of range drops pending at a crash (${actorMode} mode)`, () => {
    it('a range drop no step had touched is applied after the reopen', async () => {
      const dir = tempDir('multistore-range-queued-');
      try {
        const path = `${dir.path}/queued.db`;
        const [batches, , latest] = await crashAfterReady(path, 'queued');
        assert.equal(latest, 4);
        assert.equal(batches, 0, 'nothing was applied before the crash');
        const before = rawState(path);
        assert.equal(before.ranges.length, 1, 'the log holds the range drop');
        assert.equal(before.ranges[0]?.cursor?.lastKey, undefined, 'at its start');
        assert.ok(before.versions.every((versions) => versions.length === 3));
        await reopenAndCheck(path, actorMode);
      } finally {
        dir.cleanup();
      }
    });

    it('a range drop part-way resumes at its cursor, and the keys it parked are applied', async () => {
      const dir = tempDir('multistore-range-partway-');
      try {
        const path = `${dir.path}/partway.db`;
        const [batches, parked] = await crashAfterReady(path, 'partway');
        assert.ok((batches ?? 0) >= PARTWAY_STEPS && (parked ?? 0) > 0, `${batches} ${parked}`);
        const before = rawState(path);
        assert.equal(before.ranges.length, 1, 'the log holds the range drop');
        const lastKey = before.ranges[0]?.cursor?.lastKey;
        assert.ok(lastKey !== undefined, 'with a cursor part-way');
        const passed = before.versions.filter((versions) => versions.length === 2).length;
        assert.equal(
          rangeKey(passed - 1),
          fromUtf8(lastKey),
          'the cursor is at the last key trimmed',
        );
        assert.ok(passed > 0 && passed < RANGE_KEYS, `${passed} keys trimmed before the crash`);
        assert.deepEqual(
          before.requests.map((request) => fromUtf8(request.key)),
          Array.from({ length: passed }, (_, i) => rangeKey(i)),
          'the keys held back by the snapshot are in the log, one request each',
        );
        await reopenAndCheck(path, actorMode);
      } finally {
        dir.cleanup();
      }
    });
  });
}

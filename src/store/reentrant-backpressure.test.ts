/**
 * A listener that commits from inside the event of a flush its own commit's
 * sender ran (backpressure: the queue was over its bound) must not stall the
 * drop worker: in inline mode the worker handles that commit's message while
 * the sender's flush is still on the stack.
 *
 * The scenario runs in a child process: a worker that spins would block the
 * test's own event loop for good, and the child's exit status says whether it
 * finished.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';

const STORE = new URL('./multistore.js', import.meta.url).href;
const CLOCK = new URL('../runtime/clock.js', import.meta.url).href;

/** The scenario, for one actor mode: prints what the store holds once it is done. */
function scenario(actorMode: string): string {
  return `
import { MultiStore } from ${JSON.stringify(STORE)};
import { MockClock } from ${JSON.stringify(CLOCK)};
const store = MultiStore.open({
  actorMode: ${JSON.stringify(actorMode)},
  clock: new MockClock(),
  tables: [{ name: 'recent', prefix: 'r:', retention: { keepLastVersions: 1 } }],
  dropWorker: { batchSize: 1, mailboxCapacity: 1, flushIntervalMs: 1e9 },
});
store.commit([{ type: 'set', key: 'a', value: '1' }, { type: 'set', key: 'r:1', value: '1' }]);
store.commit([{ type: 'set', key: 'a', value: '2' }]);
let again = 1;
store.events.on('storage-stats', () => {
  // Once, from inside the event of the flush the next commit runs: a retention write.
  if (again-- > 0) store.commit([{ type: 'set', key: 'r:1', value: '2' }]);
});
// Two requests: over the bound of one, so the committing call applies them.
store.commit([{ type: 'drop', key: 'a', keepLastVersions: 1 }, { type: 'drop', key: 'b' }]);
await store.flush();
// In event-loop mode the listener runs on a later turn: flush what it committed too.
for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
await store.flush();
const versions = (key) => store.versions(key).map((e) => e.version);
console.log(JSON.stringify({ a: versions('a'), r: versions('r:1'), verify: store.verify(), parked: store.dropWorkerStats().parked }));
await store.close();
`;
}

for (const actorMode of ['inline', 'event-loop']) {
  it(`${actorMode} mode: a listener committing from inside a sender's backpressure flush leaves the drop worker able to finish`, () => {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', scenario(actorMode)], {
      encoding: 'utf8',
      // Only a guard against a hang: the scenario takes milliseconds.
      timeout: 30_000,
    });
    assert.equal(child.signal, null, 'the scenario finished (it was not killed by the hang guard)');
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), { a: [2], r: [4], verify: [], parked: 0 });
  });
}

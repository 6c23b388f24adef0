import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Delta } from '../../store/deltas.js';
import { DemoWorkload, DROP_EVERY, HISTORY_WINDOW, historyKey, USER_COUNT } from './workload.js';

const noProfiles = () => undefined;

function keyOf(delta: Delta): string {
  return typeof delta.key === 'string' ? delta.key : new TextDecoder().decode(delta.key);
}

describe('DemoWorkload', () => {
  it('is reproducible from its seed', () => {
    const a = new DemoWorkload(42, noProfiles);
    const b = new DemoWorkload(42, noProfiles);
    const c = new DemoWorkload(43, noProfiles);
    const first = [1, 2, 3].map((v) => JSON.stringify(a.next(v)));
    assert.deepEqual(
      [1, 2, 3].map((v) => JSON.stringify(b.next(v))),
      first,
    );
    assert.notDeepEqual(
      [1, 2, 3].map((v) => JSON.stringify(c.next(v))),
      first,
    );
  });

  it('writes each key at most once per commit and counts its writes and drops', () => {
    const workload = new DemoWorkload(7, noProfiles);
    for (let version = 1; version <= 300; version++) {
      const commit = workload.next(version);
      const writes = commit.deltas.filter((delta) => delta.type !== 'drop');
      assert.equal(new Set(writes.map(keyOf)).size, writes.length);
      assert.equal(commit.writes, writes.length);
      assert.equal(commit.drops, commit.deltas.length - writes.length);
    }
  });

  it('drops history older than the window every DROP_EVERY commits, over every user in turn', () => {
    const workload = new DemoWorkload(1, noProfiles);
    const dropped = new Set<string>();
    for (let version = 1; version <= HISTORY_WINDOW + 20 * DROP_EVERY; version++) {
      const commit = workload.next(version);
      const drops = commit.deltas.filter((delta) => delta.type === 'drop');
      if (version % DROP_EVERY !== 0 || version <= HISTORY_WINDOW) {
        assert.equal(drops.length, 0, `no drop at version ${version}`);
        continue;
      }
      assert.ok(drops.length > 0);
      for (const drop of drops) {
        assert.equal(drop.upToVersion, version - HISTORY_WINDOW);
        assert.match(keyOf(drop), /^history:user:\d{5}$/);
        dropped.add(keyOf(drop));
      }
    }
    assert.equal(dropped.size, USER_COUNT);
    assert.ok(dropped.has(historyKey(0)) && dropped.has(historyKey(USER_COUNT - 1)));
  });

  it('deletes an existing profile with an unset carrying its value', () => {
    const profile = new TextEncoder().encode('{"edits":3}');
    const workload = new DemoWorkload(3, () => profile);
    const deltas = Array.from({ length: 2_000 }, (_, i) => workload.next(i + 1).deltas).flat();
    const unsets = deltas.filter((delta) => delta.type === 'unset');
    assert.ok(unsets.length > 0);
    for (const unset of unsets) assert.equal(unset.value, profile);
    const edited = deltas.find((delta) => delta.type === 'set' && keyOf(delta).startsWith('user:'));
    assert.ok(edited?.type === 'set');
    assert.match(new TextDecoder().decode(edited.value as Uint8Array), /"edits":4/);
  });
});

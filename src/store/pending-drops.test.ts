import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8 } from '../common/bytes.js';
import type { DropRequest } from './drop-batch.js';
import { PendingDrops } from './pending-drops.js';
import { RangeDrop } from './range-drops.js';

const request = (key: string, commitVersion: number, extra: Partial<DropRequest> = {}) =>
  ({ table: 't', key: utf8(key), ceiling: commitVersion, commitVersion, ...extra }) as DropRequest;
const keep1 = (key: string, commitVersion: number, extra: Partial<DropRequest> = {}) =>
  request(key, commitVersion, { keepLastVersions: 1, ...extra });
const versionsOf = (requests: Iterable<unknown>) =>
  [...requests].map((r) =>
    r instanceof RangeDrop ? `range@${r.spec.commitVersion}` : (r as DropRequest).commitVersion,
  );
const range = (commitVersion: number) =>
  new RangeDrop(
    {
      start: { kind: 'unbounded' },
      end: { kind: 'unbounded' },
      ceiling: commitVersion,
      commitVersion,
      written: new Set(),
    } as unknown as RangeDrop['spec'],
    ['t'],
    0,
  );

describe('PendingDrops', () => {
  it('a retention request right behind an equal one of its key replaces it and takes its weight', () => {
    const queue = new PendingDrops();
    queue.add(keep1('a', 5));
    queue.add(keep1('b', 6));
    queue.add(keep1('a', 7));
    queue.add(keep1('a', 8));
    assert.equal(queue.size, 2);
    assert.equal(queue.weight, 4, 'every accepted request still counts');
    assert.deepEqual(versionsOf(queue.requests()), [6, 8], 'the later one keeps its own place');
    assert.deepEqual(versionsOf(queue.takeSuperseded()), [5, 7]);
    assert.deepEqual(queue.takeSuperseded(), []);
    const { taken, range: head } = queue.take();
    assert.deepEqual(versionsOf(taken), [6, 8]);
    assert.equal(head, undefined);
    assert.equal(queue.size, 0);
    assert.equal(queue.weight, 0);
  });

  it('replaces nothing across another request of the key, a range drop, or another policy', () => {
    const queue = new PendingDrops();
    queue.add(keep1('a', 1));
    queue.add(request('a', 2, { upToVersion: 2 }));
    queue.add(keep1('a', 3));
    queue.add(keep1('a', 4, { keepLastVersions: 2 }));
    queue.add(keep1('a', 5, { pendingVersion: 5 }));
    queue.add(keep1('a', 6, { keepLastVersions: 0 }));
    queue.add(keep1('a', 7, { keepLastVersions: 0 }));
    queue.add(keep1('b', 8));
    queue.add(range(9));
    queue.add(keep1('b', 10));
    queue.add(keep1('a', 11, { ceiling: 3 }));
    queue.add(keep1('a', 12, { ceiling: 2 }));
    assert.deepEqual(
      versionsOf(queue.requests()),
      [1, 2, 3, 4, 5, 6, 7, 8, 'range@9', 10, 11, 12],
      'a lower ceiling judges less: not replaced either',
    );
    assert.deepEqual(queue.takeSuperseded(), []);
  });

  it('takes the oldest requests up to a weight, and forgets them as their key’s last', () => {
    const queue = new PendingDrops();
    for (let v = 1; v <= 3; v++) queue.add(keep1('a', v)); // a@3 weighs 3
    queue.add(keep1('b', 4));
    queue.add(keep1('c', 5));
    assert.deepEqual(versionsOf(queue.take(3).taken), [3]);
    assert.equal(queue.weight, 2);
    queue.add(keep1('a', 6));
    assert.deepEqual(
      queue.takeSuperseded().length,
      2,
      'a@3 was taken: only the first two were replaced',
    );
    assert.deepEqual(versionsOf(queue.requests()), [4, 5, 6]);
    queue.add(keep1('b', 7));
    assert.deepEqual(versionsOf(queue.requests()), [5, 6, 7]);
    assert.deepEqual(versionsOf(queue.take(1).taken), [5]);
    assert.deepEqual(versionsOf(queue.take().taken), [6, 7]);
  });

  it('a step stops at a range drop, which stays at the head until removed', () => {
    const queue = new PendingDrops();
    queue.add(keep1('a', 1));
    queue.add(range(2));
    queue.add(keep1('b', 3));
    const first = queue.take();
    assert.deepEqual(versionsOf(first.taken), [1]);
    assert.equal(first.range?.spec.commitVersion, 2);
    assert.deepEqual(versionsOf(queue.take().taken), [], 'the range is still at the head');
    queue.removeHeadRange();
    assert.equal(queue.ranges, 0);
    assert.deepEqual(versionsOf(queue.take().taken), [3]);
    assert.equal(queue.size, 0);
  });

  it('compacts replaced slots away without losing any key’s last request', () => {
    const queue = new PendingDrops();
    const keys = 50;
    for (let v = 1; v <= 5000; v++) queue.add(keep1(`k${v % keys}`, v));
    assert.equal(queue.size, keys);
    assert.equal(queue.weight, 5000);
    assert.equal(queue.takeSuperseded().length, 5000 - keys);
    // Each key's last request is still found after the compactions.
    for (let k = 0; k < keys; k++) queue.add(keep1(`k${k}`, 5001 + k));
    assert.equal(queue.size, keys);
    assert.equal(queue.takeSuperseded().length, keys);
    assert.deepEqual(
      versionsOf(queue.take().taken),
      Array.from({ length: keys }, (_, k) => 5001 + k),
    );
  });
});

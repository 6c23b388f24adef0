/**
 * CommitGroup on its own, over a tier stand-in whose groups end when the
 * test says: a member is settled by the group its `set` was written in, even
 * when that group ended during its step and a listener opened another.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type StoreError, TierIoError } from '../common/errors.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { CommitGroup, type GroupMember } from './commit-group.js';

/** A grouped commit: what it heard, its promise, and what the group settles it with. */
function member() {
  const heard: string[] = [];
  let settle!: GroupMember;
  const promise = new Promise<void>((resolve, reject) => {
    settle = { announce: () => heard.push('announced'), resolve, reject };
  });
  promise.catch(() => undefined);
  return { heard, promise, settle };
}

/** A tier stand-in: one group at a time, ended by `finish`. */
function groupTier() {
  let ended: ((error: StoreError | undefined) => void) | undefined;
  const tier = {
    beginGroup(listener: (error: StoreError | undefined) => void) {
      ended = listener;
      return true;
    },
    endGroup() {
      finish(undefined);
    },
  };
  const finish = (error: StoreError | undefined) => {
    const listener = ended;
    ended = undefined;
    listener?.(error);
  };
  return { tier: tier as unknown as AbstractTier, finish };
}

it('a member whose group ended during its step is settled by that group, not by the next one', async () => {
  const { tier, finish } = groupTier();
  const failures: StoreError[] = [];
  const group = new CommitGroup({ tier, mode: 'inline', failed: (e) => failures.push(e) });
  const outcome = (promise: Promise<void>) =>
    promise.then(
      () => 'resolved',
      (error: StoreError) => error.code,
    );
  // Commit A joins the group and is written in it; during its step (before
  // `add`) the group commits (a drop flush) and a listener makes commit B,
  // which opens the next group.
  const a = member();
  const aGroup = group.join() ?? assert.fail('a group opens');
  finish(undefined);
  const b = member();
  const bGroup = group.join() ?? assert.fail('a group opens');
  group.add(b.settle, 1, bGroup);
  group.add(a.settle, 1, aGroup);
  assert.deepEqual(a.heard, ['announced'], 'A is durable: announced at once');
  finish(new TierIoError('the next group failed', undefined));
  assert.equal(await outcome(a.promise), 'resolved', 'the failure of the next group is not A’s');
  assert.equal(await outcome(b.promise), 'TIER_IO');
  assert.equal(failures.length, 1);
});

/**
 * Erasure planning against a brute-force model of one key's history.
 *
 * The model keeps, for every version 0..LIMIT, the answer a read at that
 * version must give (the "truth"): writes set it, deletions (a drop that
 * erases every version it judges) make the key absent from their commit
 * version on, and nothing else changes it. A random mix of writes (appended
 * or inserted into history), snapshots opened and closed, drops of every kind
 * (including arbitrary, non-monotone selections) and flushes runs against the
 * real planner. As in the store, a drop is only queued by its commit and
 * planned at a later flush, so snapshots opened in between (at or above the
 * drop's commit version) are honoured too. After every step:
 *
 * - every open snapshot reads exactly what it read when it opened;
 * - a read at ANY version answers the truth, or is refused by the horizon;
 * - an erasure only takes versions older than every version left;
 * - with no snapshot open, nothing waits;
 * - planning a parked queue in one call equals planning it request by request;
 *
 * and at the end, once every snapshot has closed, every parked request is done.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type ErasureTerms,
  type Horizon,
  planErasure,
  planKeyErasures,
  refusedAt,
  snapshotsAt,
} from './erasure.js';

const LIMIT = 80;
type Answer = string | null | 'refused';

type Selection =
  | { readonly kind: 'upTo'; readonly upTo: number }
  | { readonly kind: 'keep'; readonly keep: number }
  | { readonly kind: 'all' }
  | { readonly kind: 'mask'; readonly mask: number };

interface Request extends ErasureTerms {
  readonly selection: Selection;
}

/** The drop rules of the store, re-stated for the model (newest first, pending counted). */
function select(request: Request, stored: readonly number[]): number[] {
  const judged = stored.filter((version) => version <= request.ceiling);
  const { selection, pendingVersion } = request;
  switch (selection.kind) {
    case 'all':
      return judged;
    case 'upTo':
      return judged.filter((version) => version < selection.upTo);
    case 'mask':
      return judged.filter((version) => (selection.mask >>> (version % 31)) & 1);
    case 'keep': {
      const listed = [
        ...new Set([...judged, ...(pendingVersion === undefined ? [] : [pendingVersion])]),
      ];
      listed.sort((a, b) => b - a);
      return listed.filter(
        (version, index) => index >= selection.keep && version !== pendingVersion,
      );
    }
  }
}

/** How often the runs reached the interesting cases (each must happen). */
const coverage = {
  blocked: 0,
  partial: 0,
  deleted: 0,
  refusedReads: 0,
  snapshotRefused: 0,
  kept: 0,
};

class KeyModel {
  readonly stored = new Map<number, string | null>();
  horizon: Horizon | undefined;
  readonly truth: (string | null)[] = new Array(LIMIT + 1).fill(null);
  readonly snapshots: { at: number; answer: Answer }[] = [];
  parked: Request[] = [];
  latest = 0;
  #values = 0;

  storedDesc(): number[] {
    return [...this.stored.keys()].sort((a, b) => b - a);
  }

  read(version: number): Answer {
    if (refusedAt(this.horizon, version) !== undefined) return 'refused';
    let best: number | undefined;
    for (const stored of this.stored.keys()) {
      if (stored <= version && (best === undefined || stored > best)) best = stored;
    }
    return best === undefined ? null : (this.stored.get(best) as string | null);
  }

  write(version: number, tombstone: boolean): void {
    const value = tombstone ? null : `v${++this.#values}`;
    this.stored.set(version, value);
    const next = Math.min(...[...this.stored.keys()].filter((v) => v > version), LIMIT + 1);
    for (let at = version; at < next; at++) this.truth[at] = value;
    this.latest = Math.max(this.latest, version);
  }

  /** Plan and apply the parked requests in order, as the store's drop worker would. */
  replan(): void {
    const before = { stored: this.storedDesc(), horizon: this.horizon, parked: this.parked };
    const atOnce = planKeyErasures(
      before.stored,
      before.parked,
      select,
      before.horizon,
      this.#open(),
    );
    const erased: number[] = [];
    while (this.parked.length > 0) {
      const request = this.parked[0] as Request;
      const stored = this.storedDesc();
      const plan = planErasure({
        ...request,
        stored,
        requested: select(request, stored),
        horizon: this.horizon,
        snapshots: this.#open(),
      });
      const survivors = stored.filter((version) => !plan.erase.includes(version));
      for (const version of plan.erase) {
        assert.ok(
          survivors.every((left) => left > version),
          `erased ${version} below a survivor`,
        );
        this.stored.delete(version);
        erased.push(version);
      }
      this.horizon = plan.horizon;
      if (plan.blockedBy !== undefined) coverage.blocked++;
      if (plan.blockedBy !== undefined && plan.erase.length > 0) coverage.partial++;
      if (plan.kept.length > 0) coverage.kept++;
      if (plan.deleted) coverage.deleted++;
      if (plan.deleted) {
        for (let at = request.commitVersion; at <= LIMIT; at++) this.truth[at] = this.#physical(at);
      }
      if (plan.blockedBy !== undefined) {
        assert.ok(this.snapshots.length > 0, 'nothing may wait when no snapshot is open');
        assert.ok(
          this.snapshots.some((s) => s.at === plan.blockedBy),
          'blocked by an open snapshot',
        );
        break;
      }
      this.parked.shift();
    }
    assert.deepEqual(
      [...atOnce.erase],
      erased.sort((a, b) => a - b),
      'one call = one by one',
    );
    assert.deepEqual(atOnce.horizon, this.horizon);
    assert.equal(atOnce.parked.length, this.parked.length);
  }

  check(step: string): void {
    for (const snapshot of this.snapshots) {
      assert.deepEqual(
        this.read(snapshot.at),
        snapshot.answer,
        `${step}: snapshot at ${snapshot.at}`,
      );
    }
    for (let at = 0; at <= LIMIT; at++) {
      const answer = this.read(at);
      if (answer === 'refused') coverage.refusedReads++;
      if (answer !== 'refused') assert.equal(answer, this.truth[at], `${step}: read at ${at}`);
    }
  }

  #open() {
    return snapshotsAt(this.snapshots.map((s) => s.at));
  }

  /** What the stored versions alone answer (no horizon). */
  #physical(version: number): string | null {
    let best: number | undefined;
    for (const stored of this.stored.keys()) {
      if (stored <= version && (best === undefined || stored > best)) best = stored;
    }
    return best === undefined ? null : (this.stored.get(best) as string | null);
  }
}

const selection: fc.Arbitrary<Selection> = fc.oneof(
  fc.record({ kind: fc.constant('upTo' as const), upTo: fc.nat(LIMIT) }),
  fc.record({ kind: fc.constant('keep' as const), keep: fc.nat(4) }),
  fc.constant({ kind: 'all' as const }),
  fc.record({ kind: fc.constant('mask' as const), mask: fc.nat() }),
);

const operation = fc.oneof(
  { weight: 4, arbitrary: fc.record({ write: fc.nat(6), tombstone: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({ drop: selection, withWrite: fc.boolean(), back: fc.nat(12) }),
  },
  { weight: 3, arbitrary: fc.record({ open: fc.nat(8) }) },
  { weight: 1, arbitrary: fc.record({ close: fc.nat(8) }) },
  { weight: 3, arbitrary: fc.constant({ replan: true as const }) },
);

function run(ops: readonly OperationValue[]): void {
  const key = new KeyModel();
  for (const [index, op] of ops.entries()) {
    if (key.latest >= LIMIT - 1) break;
    const step = `step ${index} ${JSON.stringify(op)}`;
    if ('write' in op) {
      const lowest = Math.max(
        key.horizon?.readableFrom ?? 0,
        ...key.snapshots.map((s) => s.at + 1),
        1,
      );
      const back = key.latest - op.write;
      const version = back >= lowest && !key.stored.has(back) ? back : key.latest + 1;
      key.write(version, op.tombstone);
    } else if ('drop' in op) {
      // An automatic commit (the next version), or an explicit one back in history where
      // no snapshot sees it (and, when it writes the key, not below the key's horizon).
      const back = key.latest - op.back;
      const lowest = Math.max(
        1,
        ...key.snapshots.map((s) => s.at + 1),
        op.withWrite ? (key.horizon?.readableFrom ?? 0) : 0,
      );
      const explicit = back >= lowest && !(op.withWrite && key.stored.has(back));
      const commitVersion = explicit ? back : key.latest + 1;
      if (op.withWrite) key.write(commitVersion, false);
      key.latest = Math.max(key.latest, commitVersion);
      key.parked.push({
        selection: op.drop,
        ceiling: key.latest,
        commitVersion,
        pendingVersion: op.withWrite ? commitVersion : undefined,
      });
    } else if ('open' in op) {
      const at = Math.max(0, key.latest - op.open);
      const answer = key.read(at);
      if (answer === 'refused') coverage.snapshotRefused++;
      key.snapshots.push({ at, answer });
    } else if ('close' in op) {
      key.snapshots.splice(op.close % Math.max(1, key.snapshots.length), 1);
    } else {
      key.replan();
    }
    key.check(step);
  }
  key.snapshots.length = 0;
  key.replan();
  key.check('after every snapshot closed');
  assert.deepEqual(key.parked, [], 'every parked request completes once no snapshot is open');
}

type OperationValue = typeof operation extends fc.Arbitrary<infer T> ? T : never;

describe('erasure planning against a brute-force model', () => {
  it('never changes an open snapshot, never answers wrong, only erases the oldest versions', (t) => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 5, maxLength: 50, size: 'max' }), (ops) =>
        run(ops),
      ),
      { numRuns: 1_500 },
    );
    t.diagnostic(`reached: ${JSON.stringify(coverage)}`);
    for (const [name, count] of Object.entries(coverage)) {
      assert.ok(count > 0, `the runs never reached: ${name}`);
    }
  });
});

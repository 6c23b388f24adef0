/**
 * The request log's records: every request survives encoding exactly, a
 * damaged record is TIER_IO (never a TypeError), and a flush forgets exactly
 * the records whose requests were all applied.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isStoreError } from '../common/errors.js';
import type { DropRequest } from './drop-batch.js';
import { RangeDrop } from './range-drops.js';
import {
  decodeRecord,
  encodeRecord,
  RequestLog,
  recoverRanges,
  recoverRequests,
  type UnloggedRequest,
} from './request-log.js';

const version = fc.oneof(fc.nat(1000), fc.constant(Number.MAX_SAFE_INTEGER), fc.nat());
const request = (ceiling: number, commitVersion: number) =>
  fc.record({
    table: fc.constantFrom('multi', 'sessions', '表🙂', 'x"; DROP', 'n'.repeat(256)),
    key: fc.uint8Array({ maxLength: 40 }),
    upToVersion: fc.option(version, { nil: undefined }),
    keepLastVersions: fc.option(fc.nat(2 ** 40), { nil: undefined }),
    pendingVersion: fc.option(fc.constant(commitVersion), { nil: undefined }),
    ceiling: fc.constant(ceiling),
    commitVersion: fc.constant(commitVersion),
  });
const record = fc
  .tuple(version, version)
  .chain(([ceiling, commit]) =>
    fc.array(request(Math.max(ceiling, commit), commit), { minLength: 1, maxLength: 30 }),
  );

describe('request log records', () => {
  it('decode gives back every request exactly, with the record seq', () => {
    fc.assert(
      fc.property(record, fc.nat(), (requests, seq) => {
        const decoded = decodeRecord({ seq, bytes: encodeRecord(requests) });
        assert.deepEqual(
          decoded,
          requests.map((r) => ({ ...r, seq })),
        );
      }),
    );
  });

  it('a retention request costs a few bytes beside its key', () => {
    const requests: UnloggedRequest[] = Array.from({ length: 100 }, (_, i) => ({
      table: 'sessions',
      key: new Uint8Array(16).fill(i),
      keepLastVersions: 1,
      ceiling: 123_456,
      commitVersion: 123_456,
    }));
    const bytes = encodeRecord(requests).length;
    assert.ok(bytes <= 100 * (16 + 4) + 32, `${bytes} bytes for 100 requests`);
  });

  it('a damaged record is TIER_IO naming the record', () => {
    const good = encodeRecord([
      { table: 't', key: Uint8Array.of(1, 2), upToVersion: 5, ceiling: 9, commitVersion: 9 },
    ]);
    const damaged = [
      Uint8Array.of(),
      Uint8Array.of(2, ...good.subarray(1)),
      good.subarray(0, good.length - 1),
      Uint8Array.of(...good, 0),
      Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
      Uint8Array.of(1, 1, 1, 1, 2, 0xc3, 0x28, 0),
      Uint8Array.of(1, 1, 1, 0, 1, 0, 7, 0),
    ];
    for (const bytes of damaged) {
      assert.throws(
        () => decodeRecord({ seq: 17, bytes }),
        (e: unknown) => isStoreError(e, 'TIER_IO') && /record 17/.test(e.message),
        `bytes ${bytes.join(',')}`,
      );
    }
  });

  /** A request with every field present, as decoding gives it. */
  const plain = (key: number, version: number): UnloggedRequest => ({
    table: 't',
    key: Uint8Array.of(key),
    upToVersion: undefined,
    keepLastVersions: undefined,
    pendingVersion: undefined,
    ceiling: version,
    commitVersion: version,
  });

  it('numbers records after the highest kept one, and recovers the kept requests in order', () => {
    const first = new RequestLog();
    const one = first.append([plain(1, 1)]);
    const two = first.append([plain(2, 2)]);
    assert.deepEqual([one.record.seq, two.record.seq], [1, 2]);
    assert.deepEqual(recoverRequests([one.record, two.record]), [...one.requests, ...two.requests]);
    const reopened = new RequestLog();
    reopened.recover([two.record, one.record]);
    assert.equal(reopened.append(two.requests).record.seq, 3);
  });

  it('a flush forgets the records all applied and rewrites the others with what is left', () => {
    const log = new RequestLog();
    const make = (keys: number[]): DropRequest[] =>
      log.append(keys.map((k) => plain(k, 5))).requests;
    const [a, b] = [make([1, 2, 3]), make([4])];
    const first = log.settle([...a, ...b], new Set([a[1] as DropRequest]));
    assert.deepEqual(first.forget, [2]);
    assert.deepEqual(
      first.log.map((r) => r.seq),
      [1],
    );
    assert.deepEqual(recoverRequests(first.log), [a[1]]);
    first.settled();
    // A later flush applies the request left: the record goes.
    const second = log.settle([a[1] as DropRequest], new Set());
    assert.deepEqual([second.forget, second.log], [[1], []]);
  });

  it('a record split over flushes stays until its last request is applied', () => {
    const log = new RequestLog();
    const [x, y, z] = log.append([plain(1, 5), plain(2, 5), plain(3, 5)]).requests as DropRequest[];
    const held = log.settle([x as DropRequest], new Set());
    assert.deepEqual(held.forget, []);
    assert.deepEqual(recoverRequests(held.log), [y, z], 'the rest stays persisted');
    held.settled();
    const untouched = log.settle([y as DropRequest], new Set([y as DropRequest]));
    assert.deepEqual([untouched.forget, untouched.log], [[], []], 'nothing applied: no change');
    const last = log.settle([y as DropRequest, z as DropRequest], new Set());
    assert.deepEqual([last.forget, last.log], [[1], []]);
  });

  const bound = fc
    .oneof(
      fc.constant({ kind: 'unbounded' as const }),
      fc.record({
        kind: fc.constantFrom('included' as const, 'excluded' as const),
        key: fc.uint8Array({ maxLength: 8 }),
      }),
    )
    .map((b) => ({ ...b }));
  const rangeSpec = (ceiling: number, commitVersion: number) =>
    fc
      .record({
        start: bound,
        end: bound,
        upToVersion: fc.option(version, { nil: undefined }),
        keepLastVersions: fc.option(fc.nat(2 ** 40), { nil: undefined }),
        ceiling: fc.constant(ceiling),
        commitVersion: fc.constant(commitVersion),
        written: fc
          .uniqueArray(
            fc.string({ maxLength: 4 }).map((k) => `k${k}`),
            { maxLength: 4 },
          )
          .map(
            (ids) => new Set(ids.map((id) => String.fromCharCode(...new TextEncoder().encode(id)))),
          ),
      })
      .map((spec) => ({ ...spec }));
  const TABLES = ['multi', 'sessions', '表🙂'];
  const cursor = fc.option(
    fc.record({
      table: fc.constantFrom(...TABLES),
      lastKey: fc.option(fc.uint8Array({ maxLength: 8 }), { nil: undefined }),
    }),
    { nil: undefined },
  );

  it('a range drop decodes back with its bounds, constraints, written keys and cursor', () => {
    const entry = fc.tuple(version, version).chain(([ceiling, commit]) =>
      fc.tuple(
        fc.array(request(Math.max(ceiling, commit), commit), { maxLength: 5 }),
        fc.array(fc.tuple(rangeSpec(Math.max(ceiling, commit), commit), cursor), {
          minLength: 1,
          maxLength: 3,
        }),
      ),
    );
    fc.assert(
      fc.property(entry, fc.nat(), ([requests, ranges], seq) => {
        const drops = ranges.map(([spec, at]) => new RangeDrop(spec, TABLES, seq, at));
        const record = { seq, bytes: encodeRecord(requests, drops) };
        assert.deepEqual(
          decodeRecord(record),
          requests.map((r) => ({ ...r, seq })),
        );
        const decoded = recoverRanges([record]);
        assert.deepEqual(
          decoded.map((range) => [range.spec, range.cursor, range.seq]),
          drops.map((drop) => [drop.spec, drop.cursor, seq]),
        );
      }),
    );
  });

  it('a step of a range drop rewrites its record: new cursor, held-back keys as requests; done, it goes', () => {
    const log = new RequestLog();
    const seq = log.reserve();
    const spec = {
      start: { kind: 'unbounded' as const },
      end: { kind: 'unbounded' as const },
      upToVersion: undefined,
      keepLastVersions: 1,
      ceiling: 9,
      commitVersion: 9,
      written: new Set<string>(),
    };
    const range = new RangeDrop(spec, ['multi'], seq);
    log.record([range]);
    // A page of keys 1, 2 (a cursor after 2): 1 applied, 2 held back by a snapshot.
    const [one, two] = range.nextPage(pageOf([1, 2], true), 2) as DropRequest[];
    const step = log.settle(
      [one as DropRequest, two as DropRequest],
      new Set([two as DropRequest]),
      [range],
    );
    assert.deepEqual(step.forget, []);
    assert.deepEqual(recoverRequests(step.log), [two], 'the held-back key is kept');
    assert.deepEqual(recoverRanges(step.log)[0]?.cursor, {
      table: 'multi',
      lastKey: Uint8Array.of(2),
    });
    step.settled();
    // The last page (empty): the range is done, the held-back key still waits.
    range.nextPage(pageOf([], false), 2);
    assert.equal(range.finished, true);
    const last = log.settle([], new Set(), [range]);
    assert.deepEqual(recoverRanges(last.log), []);
    assert.deepEqual(recoverRequests(last.log), [two]);
    last.settled();
    const applied = log.settle([two as DropRequest], new Set());
    assert.deepEqual([applied.forget, applied.log], [[seq], []]);
  });
});

/** A tier stub whose `page` answers `keys` (with a cursor when `full`). */
function pageOf(keys: number[], full: boolean) {
  const entries = keys.map((k) => ({ key: Uint8Array.of(k), version: 1, value: undefined }));
  const last = entries.at(-1);
  return {
    page: () => ({
      entries,
      cursor: full && last !== undefined ? { lastKey: last.key } : undefined,
    }),
  } as unknown as Parameters<RangeDrop['nextPage']>[0];
}

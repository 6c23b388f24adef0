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
import {
  decodeRecord,
  encodeRecord,
  RequestLog,
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
});

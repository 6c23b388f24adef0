import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import { MockClock, SystemClock, systemClock } from './clock.js';

describe('MockClock', () => {
  it('starts at 0 and moves only when told', () => {
    const clock = new MockClock();
    assert.equal(clock.nowNanos(), 0n);
    assert.equal(clock.nowMillis(), 0);
    clock.advanceMillis(12.5);
    assert.equal(clock.nowMillis(), 12.5);
    assert.equal(clock.nowNanos(), 12_500_000n);
    clock.setMillis(100);
    assert.equal(clock.nowMillis(), 100);
    clock.advanceNanos(3n);
    assert.equal(clock.nowNanos(), 100_000_003n);
  });

  it('keeps nanosecond precision over many tiny steps', () => {
    const clock = new MockClock();
    for (let i = 0; i < 1_000_000; i++) clock.advanceMillis(0.000001);
    assert.equal(clock.nowNanos(), 1_000_000n);
    assert.equal(clock.nowMillis(), 1);
  });

  it('derives fractional milliseconds exactly from nanoseconds', () => {
    const clock = new MockClock();
    clock.advanceNanos(1_234_567_891n);
    assert.equal(clock.nowMillis(), 1234.567891);
  });

  it('gives instants that measure mock time', () => {
    const clock = new MockClock();
    clock.setMillis(40);
    const start = clock.instant();
    assert.equal(start.nanos, 40_000_000n);
    assert.equal(start.elapsed(), 0);
    clock.advanceMillis(7.25);
    assert.equal(start.elapsed(), 7.25);
    assert.equal(start.elapsedNanos(), 7_250_000n);
  });

  it('cannot go backwards', () => {
    const clock = new MockClock();
    clock.setMillis(10);
    const backwards = (error: unknown) => isStoreError(error, 'INVALID_ARGUMENT');
    assert.throws(() => clock.setMillis(9.999), backwards);
    assert.throws(() => clock.advanceMillis(-1), backwards);
    assert.throws(() => clock.advanceNanos(-1n), backwards);
    assert.equal(clock.nowMillis(), 10);
    clock.setMillis(10); // staying put is allowed
    assert.equal(clock.nowMillis(), 10);
  });

  it('rejects non-finite times', () => {
    const clock = new MockClock();
    const invalid = (error: unknown) => isStoreError(error, 'INVALID_ARGUMENT');
    assert.throws(() => clock.advanceMillis(Number.NaN), invalid);
    assert.throws(() => clock.setMillis(Number.POSITIVE_INFINITY), invalid);
    assert.equal(clock.nowNanos(), 0n);
  });

  it('notifies advance listeners until they unsubscribe', () => {
    const clock = new MockClock();
    const seen: number[] = [];
    const unsubscribe = clock.onAdvance(() => seen.push(clock.nowMillis()));
    clock.advanceMillis(1);
    clock.setMillis(5);
    unsubscribe();
    clock.advanceMillis(1);
    assert.deepEqual(seen, [1, 5]);
  });
});

describe('SystemClock', () => {
  it('never goes backwards', () => {
    const clock = new SystemClock();
    let previous = clock.nowNanos();
    for (let i = 0; i < 10_000; i++) {
      const now = clock.nowNanos();
      assert.ok(now >= previous, `clock went back from ${previous} to ${now}`);
      previous = now;
    }
  });

  it('reads milliseconds on the same origin as nanoseconds', () => {
    const before = systemClock.nowNanos();
    const millis = systemClock.nowMillis();
    const after = systemClock.nowNanos();
    assert.ok(millis >= Number(before) / 1e6 - 1e-3 && millis <= Number(after) / 1e6 + 1e-3);
  });

  it('gives instants whose elapsed time is non-negative and grows', () => {
    const start = systemClock.instant();
    const first = start.elapsedNanos();
    const second = start.elapsedNanos();
    assert.ok(first >= 0n);
    assert.ok(second >= first);
    assert.ok(start.elapsed() >= 0);
  });

  it('does not expose onAdvance (real time moves by itself)', () => {
    assert.equal(systemClock.onAdvance, undefined);
  });
});

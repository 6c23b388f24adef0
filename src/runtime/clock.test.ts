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

  it('fires wake-ups once the clock reaches them, earliest first, never inside wakeAt', () => {
    const clock = new MockClock();
    const seen: string[] = [];
    const at = (millis: number) => BigInt(millis * 1e6);
    clock.wakeAt(at(5), () => seen.push(`b@${clock.nowMillis()}`));
    clock.wakeAt(at(2), () => seen.push(`a@${clock.nowMillis()}`));
    const cancel = clock.wakeAt(at(3), () => seen.push('cancelled'));
    clock.wakeAt(at(0), () => seen.push(`now@${clock.nowMillis()}`));
    assert.deepEqual(seen, [], 'a wake-up already due waits for the clock to move');
    assert.equal(clock.pendingTimers, 4);
    cancel();
    clock.advanceMillis(0);
    assert.deepEqual(seen, ['now@0']);
    clock.advanceMillis(1);
    assert.deepEqual(seen, ['now@0']);
    clock.setMillis(7);
    assert.deepEqual(seen, ['now@0', 'a@7', 'b@7']);
    assert.equal(clock.pendingTimers, 0);
  });

  it('a wake-up armed by a firing one waits for the next move', () => {
    const clock = new MockClock();
    const seen: number[] = [];
    clock.wakeAt(1n, () => {
      seen.push(1);
      clock.wakeAt(0n, () => seen.push(2));
    });
    clock.advanceNanos(1n);
    assert.deepEqual(seen, [1]);
    assert.equal(clock.pendingTimers, 1);
    clock.advanceNanos(0n);
    assert.deepEqual(seen, [1, 2]);
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

  it('does not expose wakeAt (real time moves by itself)', () => {
    assert.equal(systemClock.wakeAt, undefined);
  });
});

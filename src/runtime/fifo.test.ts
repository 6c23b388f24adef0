import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Fifo } from './fifo.js';

describe('Fifo', () => {
  it('behaves like an array used as a queue, across compactions', () => {
    const op = fc.oneof(
      fc.record({ push: fc.integer({ min: 1, max: 3000 }) }),
      fc.record({ shift: fc.integer({ min: 1, max: 3000 }) }),
      fc.constant({ clear: true as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 20 }), (ops) => {
        const fifo = new Fifo<number>();
        const model: number[] = [];
        let next = 0;
        for (const o of ops) {
          if ('push' in o) {
            for (let i = 0; i < o.push; i++) {
              fifo.push(next);
              model.push(next++);
            }
          } else if ('shift' in o) {
            for (let i = 0; i < o.shift; i++) assert.equal(fifo.shift(), model.shift());
          } else {
            assert.equal(fifo.clear(), model.length);
            model.length = 0;
          }
          assert.equal(fifo.length, model.length);
          assert.equal(fifo.isEmpty(), model.length === 0);
          assert.equal(fifo.peek(), model[0]);
        }
      }),
      { numRuns: 200 },
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CountedVersions } from './counted-versions.js';

describe('CountedVersions', () => {
  it('answers like a sorted array of every occurrence', () => {
    const op = fc.oneof(
      fc.record({ add: fc.nat(20) }),
      fc.record({ remove: fc.nat(20) }),
      fc.record({ probe: fc.nat(22) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const set = new CountedVersions();
        const model: number[] = [];
        for (const o of ops) {
          if ('add' in o) {
            set.add(o.add);
            model.push(o.add);
            model.sort((a, b) => a - b);
          } else if ('remove' in o) {
            const at = model.indexOf(o.remove);
            assert.equal(set.delete(o.remove), at >= 0);
            if (at >= 0) model.splice(at, 1);
          } else {
            assert.equal(
              set.atOrAbove(o.probe),
              model.find((v) => v >= o.probe),
            );
            assert.equal(set.below(o.probe), model.filter((v) => v < o.probe).pop());
            assert.equal(set.count(o.probe), model.filter((v) => v === o.probe).length);
          }
          assert.equal(set.size, model.length);
          assert.equal(set.lowest(), model[0]);
          assert.equal(set.highest(), model[model.length - 1]);
        }
        const expanded = [...set.entries()].flatMap(([v, n]) => new Array<number>(n).fill(v));
        assert.deepEqual(expanded, model);
      }),
      { numRuns: 300 },
    );
  });
});

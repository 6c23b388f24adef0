/**
 * The random operations of the model-based store tests (embedded tiers and
 * PostgreSQL): commits of random deltas at versions around the latest,
 * flushes, and reads, over the shared model keys. One generator, so both
 * stores are driven by the same workload.
 *
 * @module
 */

import fc from 'fast-check';
import { MODEL_KEYS } from './model-keys.js';
import type { ModelDelta } from './store-model.js';

const key = fc.constantFrom(...MODEL_KEYS);
const value = fc.uint8Array({ maxLength: 4 });

/** Prefixes of range drops: every key, a table's, a key's own, and one of a few keys. */
const PREFIXES = ['', 's:', 'r:1', 'a', '\u00ff'].map((p) =>
  p === '\u00ff' ? new Uint8Array([0xff]) : new TextEncoder().encode(p),
);

/** Deltas on one key: set, unset, remove and the per-key drop. */
export const keyDelta: fc.Arbitrary<ModelDelta> = fc.oneof(
  fc.record({ type: fc.constant('set' as const), key, value }),
  fc.record({ type: fc.constant('unset' as const), key, value }),
  fc.record({ type: fc.constant('remove' as const), key }),
  fc.record(
    {
      type: fc.constant('drop' as const),
      key,
      upToVersion: fc.nat(12),
      keepLastVersions: fc.nat(3),
    },
    { requiredKeys: ['type', 'key'] },
  ),
);

/** Drops over bounds (either open) or a prefix. */
export const rangeDropDelta: fc.Arbitrary<ModelDelta> = fc.oneof(
  fc.record(
    {
      type: fc.constant('drop-range' as const),
      start: key,
      end: key,
      endInclusive: fc.boolean(),
      upToVersion: fc.nat(12),
      keepLastVersions: fc.nat(3),
    },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    {
      type: fc.constant('drop-range' as const),
      prefix: fc.constantFrom(...PREFIXES),
      upToVersion: fc.nat(12),
      keepLastVersions: fc.nat(3),
    },
    { requiredKeys: ['type', 'prefix'] },
  ),
);

/** One step of a model-based run. */
export type ModelOp =
  | { op: 'commit'; deltas: ModelDelta[]; step: number }
  | { op: 'flush' }
  | { op: 'get'; key: Uint8Array; back: number }
  | { op: 'versions'; key: Uint8Array }
  | {
      op: 'range';
      a: Uint8Array;
      b: Uint8Array;
      inclusive: boolean;
      reverse: boolean;
      back: number;
      pageSize: number;
    };

/** Random steps whose commits hold up to four of `delta`, at the latest version -3 to +2. */
export function modelOps(delta: fc.Arbitrary<ModelDelta>): fc.Arbitrary<ModelOp> {
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('commit' as const),
        deltas: fc.array(delta, { minLength: 0, maxLength: 4 }),
        step: fc.integer({ min: -3, max: 2 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('flush' as const) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('get' as const), key, back: fc.nat(4) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('versions' as const), key }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('range' as const),
        a: key,
        b: key,
        inclusive: fc.boolean(),
        reverse: fc.boolean(),
        back: fc.nat(4),
        pageSize: fc.integer({ min: 1, max: 3 }),
      }),
    },
  );
}

/**
 * The stored history as the conflict check asks about it (conflict-check.ts):
 * when did a key, or any key of a range, last change?
 *
 * A key changed at its newest stored version (a tombstone counts). Reads go
 * through the tier at the highest version, one lookup per key; a range is
 * paged through every table it meets, tombstones included.
 *
 * @module
 */

import { binaryStringToBytes } from '../common/bytes.js';
import { MAX_VERSION } from '../common/version.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { pages } from '../tier/paging.js';
import type { Bound } from '../tier/tier.js';
import { UNBOUNDED } from '../tier/tier.js';
import type { KeyBound, KeyId, KeyRange } from '../transaction/index.js';
import { keyIdOf } from '../transaction/index.js';
import type { StoredHistory } from './conflict-check.js';
import type { TableRouter } from './routing.js';

const PAGE = 256;

/** The history of `tier`, whose keys `router` places in tables. */
export function storedHistory(tier: AbstractTier, router: TableRouter): StoredHistory {
  return {
    lastChange(id: KeyId): number | undefined {
      const key = binaryStringToBytes(id);
      return tier.get(router.route(key).name, key, MAX_VERSION)?.version;
    },
    changedIn(range: KeyRange, version: number) {
      const start = boundOf(range.start);
      const end = boundOf(range.end);
      const keyOf = (bound: Bound) => (bound.kind === 'unbounded' ? undefined : bound.key);
      for (const table of router.tablesMeeting(keyOf(start), keyOf(end))) {
        const request = { start, end, version: MAX_VERSION, limit: PAGE };
        for (const page of pages(tier, table.name, request)) {
          const entry = page.entries.find((e) => e.version > version);
          if (entry !== undefined) return { key: keyIdOf(entry.key), version: entry.version };
        }
      }
      return undefined;
    },
  };
}

function boundOf(bound: KeyBound): Bound {
  return bound.kind === 'unbounded'
    ? UNBOUNDED
    : { kind: bound.kind, key: binaryStringToBytes(bound.key) };
}

/**
 * Figures recounted from what a tier actually stores.
 *
 * The tracker adds up what commits and drops report, and the tier keeps the
 * same figures beside the data; this module ignores both and reads the
 * data: every key of every table (one range page after another, at the
 * newest version) and every stored version of each key. `store.verify()`
 * compares it with the figures the tier keeps (`multistore check` prints the
 * differences); tests use it as the ground truth the tracker must agree with.
 *
 * It reads everything, so it costs O(stored versions): a check, never on the
 * open path nor on a hot path.
 *
 * @module
 */

import { MAX_VERSION } from '../common/version.js';
import { pages } from '../tier/paging.js';
import type { TierReader } from '../tier/tier.js';
import { FigureCounter, type StorageFigures, versionedKeyBytes } from './figures.js';

const PAGE = 256;

/** Figures of every table of `tier` (and of `extraTables`, zero when empty), by table name. */
export function recountFigures(
  tier: TierReader,
  extraTables: readonly string[] = [],
): Map<string, StorageFigures> {
  const figures = new Map<string, StorageFigures>();
  for (const table of new Set([...tier.tables(), ...extraTables])) {
    figures.set(table, recountTable(tier, table));
  }
  return figures;
}

/** Figures of one table. */
function recountTable(tier: TierReader, table: string): StorageFigures {
  const counter = new FigureCounter();
  for (const page of pages(tier, table, { version: MAX_VERSION, limit: PAGE })) {
    for (const entry of page.entries) countKey(tier, table, entry.key, counter);
  }
  return counter.snapshot();
}

function countKey(tier: TierReader, table: string, key: Uint8Array, counter: FigureCounter): void {
  const keyBytes = versionedKeyBytes(key);
  tier.getVersionSizes(table, key).forEach((stored, index) => {
    const valueBytes = stored.valueBytes ?? 0;
    const current = index === 0 && stored.valueBytes !== undefined;
    counter.apply(current ? 'current' : 'historical', keyBytes, valueBytes, 1);
  });
}

/**
 * `store.verify()`: the figures the storage keeps, checked against its data.
 *
 * The tier keeps each table's figures beside the data, changed in the same
 * atomic step as the data (see "Store state" in abstract-tier.ts), so the
 * two can only disagree if something wrote the storage behind the store's
 * back, or if the store itself is wrong. The check recounts every stored
 * version (stats/recount.ts, O(stored versions)) and lists each figure that
 * differs, as SQLite's `integrity_check` lists problems:
 *
 * ```
 *   stored (tier.readFigures)   counted (recount)     difference
 *   multi.currentCount    5     multi.currentCount 6  { table: 'multi', figure: 'currentCount', stored: 5, counted: 6 }
 *   (no row for "events")       events: all zero      (none: a missing row means zero)
 * ```
 *
 * It also checks the horizons (see "Horizons" in abstract-tier.ts), for
 * what each costs a lookup per horizon: no stored version of a key lies
 * inside its horizon `[erasedFrom, readableFrom)` (those versions were
 * erased, and writes there are refused: one found means reads that should
 * answer are refused, or erasures went missing), and each table's readable
 * floor is the highest `readableFrom` of its horizons (a lower floor would
 * let reads of erased history through):
 *
 * ```
 *   versionsInHorizons   stored: 0 (what the horizons promise)   counted: versions found inside
 *   readableFloor        stored: the table's floor               counted: highest readableFrom
 * ```
 *
 * and that no table stores a version above the latest version kept (a
 * commit would otherwise land under stored history): `latestVersion`,
 * stored: the latest version, counted: the highest stored one (a lookup per
 * table in the index by version).
 *
 * Everything is read from one snapshot of the tier, so a read-only store
 * can verify a file its writer is changing. Last, the records of the drop
 * log are decoded (not applied): a damaged one throws `TIER_IO`, as it
 * would when a writer opens the file.
 *
 * @module
 */

import { MAX_VERSION } from '../common/version.js';
import type { StorageFigures } from '../stats/figures.js';
import { recountFigures } from '../stats/recount.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { changePages, horizonPages } from '../tier/paging.js';
import { FIGURE_FIELDS, type TierReader } from '../tier/tier.js';
import type { TableConfig } from './options.js';
import { recoverRequests } from './request-log.js';

/** What `verify` checks of the horizons beside the figures (module documentation). */
export type HorizonCheck = 'versionsInHorizons' | 'readableFloor' | 'latestVersion';

/**
 * One figure on which the storage's kept figures and a recount of its data
 * disagree (or a horizon check that fails).
 */
export interface FigureDifference {
  readonly table: string;
  readonly figure: keyof StorageFigures | HorizonCheck;
  /** What the storage keeps (0 when it keeps nothing for the table). */
  readonly stored: number;
  /** What a recount of the stored versions gives. */
  readonly counted: number;
}

/** Every difference between the figures `tier` keeps and a recount of its data, by table and figure. */
export function verifyFigures(
  tier: AbstractTier,
  tables: readonly TableConfig[],
): FigureDifference[] {
  const snapshot = tier.snapshot();
  try {
    const reader = snapshot.tier;
    const stored = reader.readFigures();
    const counted = recountFigures(
      reader,
      tables.map((table) => table.name),
    );
    const names = [...new Set([...stored.keys(), ...counted.keys()])].sort();
    const differences: FigureDifference[] = [];
    for (const table of names) {
      for (const figure of FIGURE_FIELDS) {
        const kept = stored.get(table)?.[figure] ?? 0;
        const recounted = counted.get(table)?.[figure] ?? 0;
        if (kept !== recounted)
          differences.push(Object.freeze({ table, figure, stored: kept, counted: recounted }));
      }
    }
    const latest = reader.latestVersion();
    for (const table of reader.tables()) {
      for (const difference of checkHorizons(reader, table)) differences.push(difference);
      const above = checkLatest(reader, table, latest);
      if (above !== undefined) differences.push(above);
    }
    // The pending drop requests must decode, as the next writer's open
    // decodes them: a damaged record is TIER_IO here too (O(pending)).
    recoverRequests(tier.readLog());
    return differences;
  } finally {
    snapshot.release();
  }
}

/** The horizon checks of one table: O(horizons) lookups. */
function checkHorizons(reader: TierReader, table: string): FigureDifference[] {
  let inside = 0;
  let highest = 0;
  for (const page of horizonPages(reader, table, { version: 0, limit: HORIZON_PAGE })) {
    for (const { key, horizon } of page.entries) {
      highest = Math.max(highest, horizon.readableFrom);
      for (const { version } of reader.getVersionSizes(table, key)) {
        if (version >= horizon.erasedFrom && version < horizon.readableFrom) inside++;
      }
    }
  }
  const floor = reader.readableFloor(table);
  const differences: FigureDifference[] = [];
  if (inside > 0) {
    differences.push(
      Object.freeze({ table, figure: 'versionsInHorizons' as const, stored: 0, counted: inside }),
    );
  }
  if (floor !== highest) {
    differences.push(
      Object.freeze({ table, figure: 'readableFloor' as const, stored: floor, counted: highest }),
    );
  }
  return differences;
}

const HORIZON_PAGE = 256;

/**
 * No stored version above the latest version kept (the next commit would
 * land under it): the table's writes above it, through the index by
 * version (none, one lookup, in a consistent file).
 */
function checkLatest(
  reader: TierReader,
  table: string,
  latest: number,
): FigureDifference | undefined {
  let highest = latest;
  const request = { from: latest, to: MAX_VERSION, limit: HORIZON_PAGE };
  for (const page of changePages(reader, table, request)) {
    for (const { version } of page.entries) highest = Math.max(highest, version);
  }
  if (highest === latest) return undefined;
  return Object.freeze({
    table,
    figure: 'latestVersion' as const,
    stored: latest,
    counted: highest,
  });
}

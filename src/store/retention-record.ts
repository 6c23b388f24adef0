/**
 * Which retention policy the data of each table obeys.
 *
 * Every write to a retention table logs its implicit drop with the commit
 * (request-log.ts), so a table's data obeys its policy once the log is
 * applied, crash or not. Two cases escape that, and only they need the
 * retention sweep (retention-sweep.ts): a file written by the first format,
 * which kept requests in memory only (a crash could lose them), and a policy
 * made stricter between two opens (a lower `keepLastVersions`, or one given
 * to a table that had none), which applies to data written before.
 *
 * The setting `retention` records, per table, the policy its data obeys:
 *
 * ```
 *   recorded     declared    holds data?   at open
 *   (none)       keep N      yes           sweep the table, then record N
 *   keep M > N   keep N      yes           sweep the table, then record N
 *   keep M <= N  keep N      any           record N (the data already obeys it)
 *   any          keep N      no            record N
 *   any          (none)      any           forget the table
 * ```
 *
 * A sweep interrupted by `close()` records nothing, so the next open sweeps
 * again (a sweep's requests erase nothing twice). A setting that does not
 * parse is treated as absent: sweeping again is always safe.
 *
 * @module
 */

import { MAX_VERSION } from '../common/version.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import type { TableConfig } from './options.js';

/** The setting holding the record. */
export const RETENTION_SETTING = 'retention';

/** The recorded policies of one store's tables. */
export class RetentionRecord {
  readonly #tier: AbstractTier;
  readonly #tables: readonly TableConfig[];
  readonly #recorded: Readonly<Record<string, number>>;
  readonly #text: string | undefined;

  constructor(tier: AbstractTier, tables: readonly TableConfig[]) {
    this.#tier = tier;
    this.#tables = tables;
    this.#text = tier.readSetting(RETENTION_SETTING);
    this.#recorded = parseRecord(this.#text);
  }

  /** Retention tables holding data that may exceed their declared policy. */
  tablesToSweep(): TableConfig[] {
    return this.#tables.filter((table) => {
      const keep = table.keepLastVersions;
      if (keep === undefined) return false;
      const recorded = this.#recorded[table.name];
      if (recorded !== undefined && recorded <= keep) return false;
      return this.#holdsData(table.name);
    });
  }

  /** Record every table's declared policy as the one its data obeys. */
  recordAll(): void {
    const record: Record<string, number> = {};
    for (const table of this.#tables) {
      if (table.keepLastVersions !== undefined) record[table.name] = table.keepLastVersions;
    }
    const text = JSON.stringify(record);
    if (text !== this.#text) this.#tier.writeSetting(RETENTION_SETTING, text);
  }

  #holdsData(table: string): boolean {
    return this.#tier.page(table, { version: MAX_VERSION, limit: 1 }).entries.length > 0;
  }
}

function parseRecord(text: string | undefined): Readonly<Record<string, number>> {
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    const record: Record<string, number> = {};
    for (const [name, keep] of Object.entries(parsed)) {
      if (typeof keep === 'number' && Number.isSafeInteger(keep) && keep > 0) record[name] = keep;
    }
    return record;
  } catch {
    return {};
  }
}

/**
 * Table declarations, kept in the storage beside the data.
 *
 * Routing decides which table holds a key, so it must not change under data
 * already written: a key routed to `sessions` yesterday and to `multi` today
 * would vanish from reads (and could then exist twice). The store therefore
 * writes its declarations into the tier (a setting, durable in a file) and
 * checks them on every open:
 *
 * ```
 *   stored?   declared?   data?    result
 *   no        any         any      use the declared tables (or none), store them
 *   yes       no          any      use the stored tables
 *   yes       yes         no       use the declared tables, store them
 *   yes       yes         yes      same names and prefixes: use them (retention
 *                                  may change); other ones that move no stored
 *                                  key to another table (a table added whose
 *                                  prefix captures no stored key, a table removed
 *                                  that holds none): use them, store them; else
 *                                  INVALID_OPTIONS, with the keys that would move
 *                                  (table-moves.ts)
 * ```
 *
 * Stored declarations that cannot be read back (not JSON, not an array of
 * `{ name, prefix (hex), keepLastVersions? }`, or declarations `open` itself
 * would refuse) mean the storage is damaged: `TIER_IO`, never a `TypeError`.
 *
 * "Data" is decided by the data: any stored version (a tombstone too) in any
 * table, at any version, 0 included, or any erased history (a key whose
 * versions were all dropped keeps its horizon in its table, so that reads at
 * the erased versions are refused; routed elsewhere they would answer
 * "absent"). The latest version cannot tell: a file written only at version 0
 * has latest version 0, and one whose versions were all dropped still has its
 * latest version.
 *
 * @module
 */

import { printableBytes } from '../common/bytes.js';
import { InvalidInputError, TierIoError } from '../common/errors.js';
import { MAX_VERSION } from '../common/version.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { resolveTables, type TableConfig, type TableDeclaration } from './options.js';
import { describeMoves, type TableMove, tableMoves } from './table-moves.js';

/** The setting holding the declarations. */
export const TABLES_SETTING = 'tables';

interface StoredTable {
  readonly name: string;
  /** The prefix as lower-case hex. */
  readonly prefix: string;
  readonly keepLastVersions?: number;
}

/** The tables a store opens with (see the module table); writes them to the tier when they change. */
export function reconcileTables(
  tier: AbstractTier,
  declared: readonly TableConfig[],
  tablesDeclared: boolean,
): readonly TableConfig[] {
  const stored = tier.readSetting(TABLES_SETTING);
  const decision = decideTables(
    stored,
    declared,
    tablesDeclared,
    () => holdsData(tier),
    (from, to) => tableMoves(tier, from, to),
  );
  if (decision.store !== undefined) tier.writeSetting(TABLES_SETTING, decision.store);
  return decision.tables;
}

/** What {@link decideTables} decided: the tables, and the setting to write, if it changes. */
export interface TablesDecision {
  readonly tables: readonly TableConfig[];
  /** The new text of the `tables` setting, or `undefined` when it stays. */
  readonly store: string | undefined;
}

/**
 * The module table as a pure rule, for every shell: the stored setting (if
 * any), the declared tables, and whether the storage holds data (asked only
 * when it matters), and the stored keys a change of routing would move
 * (`movesOf`, asked only when the routing changes).
 */
export function decideTables(
  text: string | undefined,
  declared: readonly TableConfig[],
  tablesDeclared: boolean,
  hasData: () => boolean,
  movesOf: (stored: readonly TableConfig[], declared: readonly TableConfig[]) => TableMove[],
): TablesDecision {
  if (text === undefined || (tablesDeclared && !hasData())) return remember(declared, text);
  const stored = parseStored(text);
  if (!tablesDeclared) return { tables: stored, store: undefined };
  if (routingKey(stored) !== routingKey(declared)) {
    const moves = movesOf(stored, declared);
    if (moves.length > 0) {
      throw new InvalidInputError(
        'INVALID_OPTIONS',
        `the declared tables (${describeTables(declared)}) would hide stored data: ${describeMoves(moves)}. ` +
          `The stored tables are ${describeTables(stored)}: open without tables to use them, ` +
          'or add and remove only tables whose prefixes capture no stored key',
      );
    }
  }
  return remember(declared, text);
}

/**
 * The tables a read-only store opens with: the stored ones, which it cannot
 * change (declared tables must name the same tables and prefixes), or the
 * declared ones when the storage keeps none.
 */
export function storedTables(
  tier: AbstractTier,
  declared: readonly TableConfig[],
  tablesDeclared: boolean,
): readonly TableConfig[] {
  const text = tier.readSetting(TABLES_SETTING);
  if (text === undefined) return declared;
  const stored = parseStored(text);
  if (tablesDeclared && routingKey(stored) !== routingKey(declared)) {
    throw new InvalidInputError(
      'INVALID_OPTIONS',
      `this store has tables ${describeTables(stored)}; a read-only open uses them (declare the same names and prefixes, or none), not ${describeTables(declared)}`,
    );
  }
  return stored;
}

/** True when any table of the tier stores any version or erased history (one-entry pages). */
export function holdsData(tier: AbstractTier): boolean {
  return tier
    .tables()
    .some(
      (table) =>
        tier.page(table, { version: MAX_VERSION, limit: 1 }).entries.length > 0 ||
        tier.horizonPage(table, { version: 0, limit: 1 }).entries.length > 0,
    );
}

function remember(tables: readonly TableConfig[], previous: string | undefined): TablesDecision {
  const text = JSON.stringify(tables.slice(1).map(toStored));
  return { tables, store: text === previous ? undefined : text };
}

function toStored(table: TableConfig): StoredTable {
  const prefix = Array.from(table.prefix, (byte) => byte.toString(16).padStart(2, '0')).join('');
  const { name, keepLastVersions } = table;
  return keepLastVersions === undefined ? { name, prefix } : { name, prefix, keepLastVersions };
}

function parseStored(text: string): TableConfig[] {
  try {
    const stored: unknown = JSON.parse(text);
    if (!Array.isArray(stored)) throw new TypeError('not an array');
    return resolveTables(stored.map(storedDeclaration));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TierIoError(`the stored table declarations are corrupt: ${reason}`, error);
  }
}

const HEX_PREFIX = /^(?:[0-9a-f]{2})+$/;

/** One stored declaration as `open` takes it; throws for anything else. */
function storedDeclaration(item: unknown, index: number): TableDeclaration {
  const { name, prefix, keepLastVersions } = (item ?? {}) as Partial<Record<string, unknown>>;
  if (typeof item !== 'object' || typeof prefix !== 'string' || !HEX_PREFIX.test(prefix)) {
    throw new TypeError(`declaration ${index} is not { name, prefix (hex), keepLastVersions? }`);
  }
  const bytes = Uint8Array.from(prefix.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
  const retention = keepLastVersions === undefined ? undefined : { keepLastVersions };
  return { name, prefix: bytes, ...(retention && { retention }) } as TableDeclaration;
}

/** Names and prefixes, order-independent: what routing depends on. */
function routingKey(tables: readonly TableConfig[]): string {
  return JSON.stringify(
    tables
      .slice(1)
      .map((table) => [table.name, toStored(table).prefix])
      .sort(),
  );
}

function describeTables(tables: readonly TableConfig[]): string {
  const named = tables.slice(1).map((table) => `${table.name} ${printableBytes(table.prefix)}`);
  return named.length === 0 ? 'none' : named.join(', ');
}

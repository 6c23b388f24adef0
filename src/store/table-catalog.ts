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
 *                                  may change); else INVALID_OPTIONS
 * ```
 *
 * @module
 */

import { InvalidInputError, TierIoError } from '../common/errors.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { resolveTables, type TableConfig } from './options.js';

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
  const text = tier.readSetting(TABLES_SETTING);
  if (text === undefined || (tablesDeclared && tier.latestVersion() === 0)) {
    return remember(tier, declared, text);
  }
  const stored = parseStored(text);
  if (!tablesDeclared) return stored;
  if (routingKey(stored) !== routingKey(declared)) {
    throw new InvalidInputError(
      'INVALID_OPTIONS',
      `this store was created with tables ${describeTables(stored)}; open it with the same names and prefixes (or without tables, to use them), not ${describeTables(declared)}`,
    );
  }
  return remember(tier, declared, text);
}

function remember(
  tier: AbstractTier,
  tables: readonly TableConfig[],
  previous: string | undefined,
): readonly TableConfig[] {
  const text = JSON.stringify(tables.slice(1).map(toStored));
  if (text !== previous) tier.writeSetting(TABLES_SETTING, text);
  return tables;
}

function toStored(table: TableConfig): StoredTable {
  const prefix = Array.from(table.prefix, (byte) => byte.toString(16).padStart(2, '0')).join('');
  const { name, keepLastVersions } = table;
  return keepLastVersions === undefined ? { name, prefix } : { name, prefix, keepLastVersions };
}

function parseStored(text: string): TableConfig[] {
  let stored: StoredTable[];
  try {
    stored = JSON.parse(text) as StoredTable[];
    if (!Array.isArray(stored)) throw new TypeError('not an array');
  } catch (error) {
    throw new TierIoError('the stored table declarations are unreadable', error);
  }
  return resolveTables(
    stored.map(({ name, prefix, keepLastVersions }) => ({
      name,
      prefix: Uint8Array.from(prefix.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16)),
      ...(keepLastVersions === undefined ? {} : { retention: { keepLastVersions } }),
    })),
  );
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
  const named = tables.slice(1).map((table) => `${table.name}(${toStored(table).prefix})`);
  return named.length === 0 ? '(none)' : named.join(', ');
}

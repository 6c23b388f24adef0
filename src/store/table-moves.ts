/**
 * Which stored keys a change of table declarations would re-route.
 *
 * A key lives in the table of its longest declared prefix (routing.ts). A new
 * set of declarations is harmless unless some stored key would now be looked
 * for in another table than the one holding it: reads would miss it, and a
 * new write would create it twice. So a table may be added when its prefix
 * captures no stored key, and removed when it holds none; only what moves
 * data is refused.
 *
 * Only keys under a *changed* prefix can move. A prefix is changed when it is
 * declared on one side only, or by different table names on the two sides.
 * A key under no changed prefix has the same declared prefixes above it on
 * both sides, with the same names, so the same longest one: it stays. So the
 * check reads the keys under the changed prefixes only (the outermost ones,
 * so that nested prefixes are read once), in the tables that hold such keys
 * today, and routes each one the new way:
 *
 * ```
 *   stored: sessions "s:"            declared: sessions "s:", hot "s:hot:"
 *   changed prefixes: "s:hot:"       keys read: those under "s:hot:", in sessions (and multi)
 *   "s:hot:1" in sessions -> hot     a move: refused, "1 key under "s:hot:" from sessions to hot"
 *   no key under "s:hot:"            nothing moves: hot is added
 * ```
 *
 * A stored key is one with a stored version (a tombstone too: it is history)
 * or with erased history: a key the drop worker erased keeps its horizon in
 * its table (reads at the erased versions are refused with VERSION_TOO_OLD),
 * and looked for in another table it would answer "absent" there instead.
 * The keys of both kinds come from two walks in key order (`page` and
 * `horizonPage`), merged, each key once. The cost is one walk over the keys
 * under the changed prefixes, at open, and only when the declarations changed.
 *
 * @module
 */

import { compareBytes, hasPrefix, prefixEnd, printableBytes } from '../common/bytes.js';
import { MAX_VERSION } from '../common/version.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import type { Bound, RangeCursor } from '../tier/tier.js';
import type { TableConfig } from './options.js';
import { TableRouter } from './routing.js';

/** Keys under one changed prefix that would go from one table to another. */
export interface TableMove {
  readonly prefix: Uint8Array;
  readonly from: string;
  readonly to: string;
  readonly keys: number;
}

/** Keys read per page while looking for moves. */
const PAGE = 256;

/** Every group of stored keys that `declared` would route to another table than `stored` does. */
export function tableMoves(
  tier: AbstractTier,
  stored: readonly TableConfig[],
  declared: readonly TableConfig[],
): TableMove[] {
  const before = new TableRouter(stored);
  const after = new TableRouter(declared);
  const moves: TableMove[] = [];
  for (const prefix of outermost(changedPrefixes(stored, declared))) {
    const end = prefixEnd(prefix);
    for (const table of before.tablesMeeting(prefix, end)) {
      const counts = new Map<string, number>();
      for (const key of keysUnder(tier, table.name, prefix, end)) {
        const to = after.route(key).name;
        if (to !== table.name) counts.set(to, (counts.get(to) ?? 0) + 1);
      }
      for (const [to, keys] of counts) moves.push({ prefix, from: table.name, to, keys });
    }
  }
  return moves;
}

/** One line for a refusal: how many keys, under which readable prefixes, from where to where. */
export function describeMoves(moves: readonly TableMove[]): string {
  const total = moves.reduce((sum, move) => sum + move.keys, 0);
  const shown = moves
    .slice(0, 5)
    .map(
      (m) => `${count(m.keys)} under ${printableBytes(m.prefix)} from table ${m.from} to ${m.to}`,
    );
  const more = moves.length > 5 ? `, and ${moves.length - 5} more groups` : '';
  return `${count(total)} would move to another table (${shown.join('; ')}${more})`;
}

const count = (keys: number) => `${keys} stored ${keys === 1 ? 'key' : 'keys'}`;

/** Prefixes declared on one side only, or by different names on the two sides. */
function changedPrefixes(
  stored: readonly TableConfig[],
  declared: readonly TableConfig[],
): Uint8Array[] {
  const named = (tables: readonly TableConfig[]) =>
    new Map(tables.slice(1).map((table) => [printableBytes(table.prefix), table]));
  const before = named(stored);
  const after = named(declared);
  const changed: Uint8Array[] = [];
  for (const [text, table] of before) {
    if (after.get(text)?.name !== table.name) changed.push(table.prefix);
  }
  for (const [text, table] of after) {
    if (!before.has(text)) changed.push(table.prefix);
  }
  return changed;
}

/** The prefixes that no other one of them starts, so that their key ranges do not overlap. */
function outermost(prefixes: Uint8Array[]): Uint8Array[] {
  const sorted = [...prefixes].sort(compareBytes);
  const kept: Uint8Array[] = [];
  for (const prefix of sorted) {
    const last = kept.at(-1);
    if (last === undefined || !hasPrefix(prefix, last)) kept.push(prefix);
  }
  return kept;
}

/** Every key of `table` under `prefix` with a stored version or erased history, in key order, once. */
function keysUnder(
  tier: AbstractTier,
  table: string,
  prefix: Uint8Array,
  end: Uint8Array | undefined,
): Generator<Uint8Array> {
  const start: Bound = { kind: 'included', key: prefix };
  const stop: Bound = end === undefined ? { kind: 'unbounded' } : { kind: 'excluded', key: end };
  const range = { start, end: stop, limit: PAGE };
  const stored = walk((cursor) => tier.page(table, { ...range, version: MAX_VERSION, cursor }));
  // Version 0: every horizon reaches above it (readableFrom > erasedFrom >= 0).
  const erased = walk((cursor) => tier.horizonPage(table, { ...range, version: 0, cursor }));
  return mergeKeys(stored, erased);
}

type Paged = { entries: readonly { key: Uint8Array }[]; cursor: RangeCursor | undefined };

/** The keys of a paged walk, in its order. */
function* walk(read: (cursor: RangeCursor | undefined) => Paged): Generator<Uint8Array> {
  let cursor: RangeCursor | undefined;
  do {
    const page = read(cursor);
    for (const entry of page.entries) yield entry.key;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** Two ascending key streams as one, each key once. */
function* mergeKeys(a: Iterator<Uint8Array>, b: Iterator<Uint8Array>): Generator<Uint8Array> {
  let x = a.next();
  let y = b.next();
  while (!x.done || !y.done) {
    const order = x.done ? 1 : y.done ? -1 : compareBytes(x.value, y.value);
    if (order <= 0) yield (x as IteratorYieldResult<Uint8Array>).value;
    else yield (y as IteratorYieldResult<Uint8Array>).value;
    if (order <= 0) x = a.next();
    if (order >= 0) y = b.next();
  }
}

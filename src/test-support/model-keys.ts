/**
 * The keys and tables the store's model-based tests draw from: few keys, so
 * random histories collide, across two retention tables, a plain one and the
 * default table (the empty key and a 0xff byte at the edges of the order).
 *
 * @module
 */

import { bytesToBinaryString, utf8 } from '../common/bytes.js';

/** Every key a model-based test writes, reads or drops. */
export const MODEL_KEYS: readonly Uint8Array[] = [
  '',
  'a',
  'ab',
  'b',
  's:1',
  's:2',
  'r:1',
  'r:2',
  't:1',
  '\u00ff',
].map((k) => (k === '\u00ff' ? new Uint8Array([0xff]) : utf8(k)));

/** The tables the model-based tests declare. */
export const MODEL_TABLES = [
  { name: 'single', prefix: 's:', retention: { keepLastVersions: 1 } },
  { name: 'recent', prefix: 'r:', retention: { keepLastVersions: 2 } },
  { name: 'plain', prefix: 't:' },
] as const;

/** The retention (versions kept) of the table that stores `key`, if any. */
export function modelRetentionOf(key: Uint8Array): number | undefined {
  const table = MODEL_TABLES.find((t) => bytesToBinaryString(key).startsWith(t.prefix));
  return table !== undefined && 'retention' in table ? table.retention.keepLastVersions : undefined;
}

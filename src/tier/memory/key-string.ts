/**
 * Keys as JavaScript strings, for ordered in-memory indexes.
 *
 * The memory tier indexes keys by their binary string (one code unit 0..255
 * per byte, see `bytesToBinaryString`), whose string order is bytewise key
 * order and which `Map` can hash.
 *
 * @module
 */

export { bytesToBinaryString as keyString } from '../../common/bytes.js';

/** Order of two index strings; equal to `compareBytes` of the keys they encode. */
export function compareKeyStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

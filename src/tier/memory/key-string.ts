/**
 * Keys as JavaScript strings, for ordered in-memory indexes.
 *
 * The memory tier indexes keys by a string holding one UTF-16 code unit per
 * byte, with the same value (0..255: the "latin1" mapping). JavaScript
 * compares strings code unit by code unit, shorter prefix first, so string
 * order over these strings IS bytewise key order, and `Map` can hash them:
 *
 * ```
 *   bytes   61          61 00         61 62        7f        ff
 *   string  "a"    <    "a\u0000" <   "ab"    <    "\u007f"  <  "\u00ff"
 * ```
 *
 * `TextDecoder('latin1')` is NOT this mapping (the WHATWG label means
 * windows-1252, which remaps 0x80..0x9f), so the conversion is done by hand:
 * `String.fromCharCode` for short keys (fastest below ~24 bytes in a micro
 * benchmark on Node 20) and Node's exact `latin1` Buffer decoding above.
 *
 * @module
 */

/** Above this many bytes, Buffer decoding beats `String.fromCharCode`. */
const SHORT_KEY_BYTES = 24;

/** The index string of a key: one code unit (0..255) per byte. */
export function keyString(bytes: Uint8Array): string {
  if (bytes.length <= SHORT_KEY_BYTES) {
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Order of two index strings; equal to `compareBytes` of the keys they encode. */
export function compareKeyStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

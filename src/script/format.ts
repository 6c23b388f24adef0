/**
 * How runners print bytes.
 *
 * Keys and values are arbitrary bytes, so the output spells every byte so that
 * it can be read back and compared as text:
 *
 * ```
 *   bytes 62 ff 00            ->  "b\xff\x00"
 *   bytes f0 9f 91 8b ("👋")  ->  "\xf0\x9f\x91\x8b"
 *   bytes 61 22 5c            ->  "a\x22\x5c"
 * ```
 *
 * Printable ASCII (0x20..0x7e) is shown as is, except `"` and `\`, which would
 * make the quoting ambiguous; every other byte is `\xNN` in lower-case hex.
 * There is exactly one spelling per byte string, so comparing output lines
 * compares bytes.
 *
 * @module
 */

import { printableBytes } from '../common/bytes.js';

/** Format bytes in double quotes, per the module rules (the store's own error messages spell bytes the same way). */
export const formatBytes: (bytes: Uint8Array) => string = printableBytes;

/** `"KEY" => "VALUE"`, or `"KEY" => None` when `value` is `undefined` (absent or tombstone). */
export function formatEntry(key: Uint8Array, value: Uint8Array | undefined): string {
  return `${formatBytes(key)} => ${value === undefined ? 'None' : formatBytes(value)}`;
}

/**
 * Keys and values are bytes.
 *
 * The store orders keys bytewise, the way a byte-string comparison does:
 * byte by byte, and a key that is a prefix of another sorts first.
 *
 * ```
 *   ""  <  "a"  <  "a\x00"  <  "ab"  <  "b"  <  "\xff"  <  "\xff\xff"
 * ```
 *
 * At the API edge a caller may pass a `string`, which is encoded as UTF-8, or a
 * `Uint8Array` (a Node `Buffer` is one), which is copied: the store owns the
 * bytes it keeps, so a caller mutating its array afterwards changes nothing.
 * Bytes handed back to the caller are plain `Uint8Array`s the caller owns.
 *
 * @module
 */

import { InvalidInputError } from './errors.js';

/** What the API accepts where it wants bytes: raw bytes or a UTF-8 string. */
export type BytesLike = Uint8Array | string;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Bytewise order: negative if `a < b`, zero if equal, positive if `a > b`. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** True when both arrays hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when `key` starts with `prefix`. */
export function hasPrefix(key: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > key.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

/**
 * The smallest key greater than every key starting with `prefix`, or
 * `undefined` when there is none (the prefix is empty or all `0xff`).
 * `"b\xff"` gives `"c"`; `"\xff\xff"` gives `undefined`.
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const next = prefix.slice(0, end);
  next[end - 1] = (next[end - 1] as number) + 1;
  return next;
}

/** UTF-8 encode a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decode bytes as UTF-8 (invalid sequences become U+FFFD). */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Turn API input into bytes the store owns, or throw `INVALID_KEY` /
 * `INVALID_VALUE` (per `what`) for anything that is neither a string nor a
 * `Uint8Array`.
 */
export function toOwnedBytes(input: unknown, what: 'key' | 'value' | 'prefix'): Uint8Array {
  if (typeof input === 'string') return encoder.encode(input);
  const code = what === 'value' ? 'INVALID_VALUE' : 'INVALID_KEY';
  // ArrayBuffer.isView is false for a Proxy posing as a Uint8Array.
  if (input instanceof Uint8Array && ArrayBuffer.isView(input)) {
    try {
      return new Uint8Array(input);
    } catch {
      throw new InvalidInputError(
        code,
        `${what} is a Uint8Array whose buffer cannot be read (detached or resized)`,
      );
    }
  }
  throw new InvalidInputError(
    code,
    `${what} must be a Uint8Array or a string, got ${describe(input)}`,
  );
}

/** A short description of a value's type for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  return `a ${typeof value}`;
}

/** Above this many bytes, Buffer decoding beats `String.fromCharCode` (Node 20 micro benchmark). */
const SHORT_KEY_BYTES = 24;

const nodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;

/**
 * The bytes as a string of char codes 0..255, one per byte (a "binary" or
 * latin1 string). JavaScript compares strings code unit by code unit, shorter
 * prefix first, so the order of such strings IS bytewise order, and they make
 * cheap `Map` keys:
 *
 * ```
 *   bytes   61          61 00         61 62        7f        ff
 *   string  "a"    <    "a\u0000" <   "ab"    <    "\u007f"  <  "\u00ff"
 * ```
 *
 * `TextDecoder('latin1')` is NOT this mapping (the WHATWG label means
 * windows-1252, which remaps 0x80..0x9f), so the conversion is done by hand:
 * `String.fromCharCode` for short keys and Node's exact `latin1` decoding for
 * longer ones (chunked `fromCharCode` where there is no Buffer).
 */
export function bytesToBinaryString(bytes: Uint8Array): string {
  if (bytes.length <= SHORT_KEY_BYTES)
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  if (nodeBuffer !== undefined) {
    return nodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
  let text = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return text;
}

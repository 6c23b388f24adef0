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
 * `Uint8Array` (a Node `Buffer` is one). Whatever the store keeps is a copy
 * (keys here, values in the tier as it stores them), so a caller mutating its
 * array afterwards changes nothing. Bytes handed back to the caller are plain
 * `Uint8Array`s the caller owns.
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
  if (isReadableBytes(input)) return new Uint8Array(input);
  throw notBytes(input, what);
}

function notBytes(input: unknown, what: 'key' | 'value' | 'prefix'): InvalidInputError {
  const code = what === 'value' ? 'INVALID_VALUE' : 'INVALID_KEY';
  if (input instanceof Uint8Array && ArrayBuffer.isView(input)) {
    return new InvalidInputError(
      code,
      `${what} is a Uint8Array whose buffer cannot be read (detached or shrunk)`,
    );
  }
  return new InvalidInputError(
    code,
    `${what} must be a Uint8Array or a string, got ${describe(input)}`,
  );
}

let lastProbe: Uint8Array | undefined;

/**
 * The engine's own `byteLength` of a typed array (the `%TypedArray%.prototype`
 * getter), whatever the object claims: a subclass or an own property can
 * override `byteLength` and `length`, and a check that asked the object could
 * be told a detached view has bytes.
 */
const engineByteLength = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype) as object,
  'byteLength',
)?.get as (this: Uint8Array) => number;

const bufferPrototype: object | undefined = (globalThis as { Buffer?: typeof Buffer }).Buffer
  ?.prototype;

/**
 * True for a Uint8Array (or Buffer) whose `length` is the engine's: its
 * prototype is `Uint8Array.prototype` or `Buffer.prototype` and it has no own
 * `length`. Anything else (a subclass, an own property) may report other
 * bytes than it holds, so the store reads it through a plain copy.
 */
function isPlainBytes(bytes: Uint8Array): boolean {
  const prototype = Object.getPrototypeOf(bytes) as object;
  return (
    (prototype === Uint8Array.prototype || prototype === bufferPrototype) &&
    !Object.hasOwn(bytes, 'length')
  );
}

/**
 * True for a Uint8Array whose bytes can be read: not a Proxy posing as one
 * (`ArrayBuffer.isView` is false for it), not a view of a detached buffer,
 * not a fixed-length view of a resizable buffer shrunk under it. This is the
 * one check every entry point uses (store reads and commits, ranges,
 * versions, the tiers' own validation), so all of them agree.
 *
 * An unreadable view reports a `byteLength` of 0 (its `length` too, but
 * optimised code on Node 20 was caught reading a stale `length`), so only
 * views with no bytes are probed. The length is the engine's (see
 * `engineByteLength`), never what the object says of itself. The probe copies the (empty) view: the
 * constructor checks the buffer itself and throws for a detached buffer and
 * for a view out of its buffer's bounds, where `subarray(0, 0)` does not (a
 * view at offset 0 of a shrunk buffer passes it).
 */
export function isReadableBytes(bytes: unknown): bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array && ArrayBuffer.isView(bytes))) return false;
  if (engineByteLength.call(bytes) > 0) return true;
  try {
    // Kept in a module variable so that the probe cannot be optimised away.
    lastProbe = new Uint8Array(bytes);
    return lastProbe.length === 0;
  } catch {
    return false;
  }
}

/**
 * API input as bytes, without copying a plain `Uint8Array` or `Buffer` (for
 * bytes the store only passes on, such as values, which tiers copy as they
 * store them); any other Uint8Array (a subclass, one with an own `length`) is
 * copied, so that what the store and the tiers read is its real bytes.
 * Throws like {@link toOwnedBytes} for anything else, including a view whose
 * buffer was detached or shrunk away (such a view reports length 0).
 */
export function toBytes(input: unknown, what: 'key' | 'value' | 'prefix'): Uint8Array {
  if (typeof input === 'string') return encoder.encode(input);
  if (isReadableBytes(input)) return isPlainBytes(input) ? input : new Uint8Array(input);
  throw notBytes(input, what);
}

/**
 * Bytes as readable text in double quotes: printable ASCII (0x20..0x7e) as
 * is, except `"` and `\`, and every other byte as `\xNN` (lower-case hex).
 * One spelling per byte string, so it is also how the CLI and the
 * conformance scripts print keys and values: `"b\xff\x00"` is 62 ff 00.
 */
export function printableBytes(bytes: Uint8Array): string {
  let out = '"';
  for (const byte of bytes) {
    const printable = byte >= 0x20 && byte <= 0x7e && byte !== 0x22 && byte !== 0x5c;
    out += printable ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

/** Longest string quoted whole by {@link describe}; longer ones are cut. */
const QUOTED_CHARS = 40;

/**
 * What a value is, for the end of an error message ("..., got X"): reads as
 * English whatever the value, and shows it when it is short and harmless.
 *
 * ```
 *   undefined -> undefined           "sett"      -> the string "sett"
 *   null      -> null                [1]         -> an array
 *   -1        -> the number -1       new Map()   -> an object (Map)
 *   true      -> the boolean true    {}          -> an object
 *   5n        -> the bigint 5n       () => 1     -> a function
 * ```
 *
 * It never throws, whatever it is given: a Proxy that refuses every access
 * (or a revoked one) is "an object", so that the error being built is the
 * one the caller gets.
 */
export function describe(value: unknown): string {
  try {
    return describeValue(value);
  } catch {
    return typeof value === 'function' ? 'a function' : 'an object';
  }
}

function describeValue(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'number':
    case 'boolean':
      return `the ${typeof value} ${value}`;
    case 'bigint':
      return `the bigint ${value}n`;
    case 'string':
      return `the string ${quoteShort(value)}`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
  }
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object'
    ? `an object (${name})`
    : 'an object';
}

/** A string in double quotes (JSON escapes), cut after {@link QUOTED_CHARS} characters. */
export function quoteShort(text: string): string {
  if (text.length <= QUOTED_CHARS) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, QUOTED_CHARS))}... (${text.length} characters)`;
}

/**
 * Node's native latin1 codec, called on any Uint8Array (it reads the engine's
 * own view of the bytes, not a `length` the object claims); absent without
 * `Buffer`.
 */
interface Latin1Codec {
  readonly latin1Slice: (this: Uint8Array) => string;
  readonly latin1Write: (this: Uint8Array, text: string, offset: number, length: number) => number;
}

const latin1: Latin1Codec | undefined = (globalThis as { Buffer?: { prototype: Latin1Codec } })
  .Buffer?.prototype;

/**
 * Views of at most this many bytes live on the V8 heap (V8's
 * `typed_array_max_size_in_heap`); handing such a view to native code moves
 * its bytes off the heap first, which costs more than filling it in a loop.
 */
const ON_HEAP_BYTES = 64;

/** Chunks of `String.fromCharCode` where there is no Buffer. */
const CHUNK = 4096;

/**
 * The bytes as a string of char codes 0..255, one per byte (a "binary" or
 * latin1 string). JavaScript compares strings code unit by code unit, shorter
 * prefix first, so the order of such strings IS bytewise order; they make
 * cheap `Map` keys, and they are a compact, GC-friendly way to keep bytes:
 *
 * ```
 *   bytes   61          61 00         61 62        7f        ff
 *   string  "a"    <    "a\u0000" <   "ab"    <    "\u007f"  <  "\u00ff"
 * ```
 *
 * `TextDecoder('latin1')` is NOT this mapping (the WHATWG label means
 * windows-1252, which remaps 0x80..0x9f), so the conversion goes through
 * Node's exact `latin1` codec straight from the caller's view (one native
 * call, no copy: half the time of copying through a scratch Buffer), or
 * `String.fromCharCode` where there is no Buffer.
 */
export function bytesToBinaryString(bytes: Uint8Array): string {
  if (latin1 !== undefined) return latin1.latin1Slice.call(bytes);
  let text = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return text;
}

/**
 * The bytes of a binary string (see {@link bytesToBinaryString}), as a new
 * plain Uint8Array. A short one (on the V8 heap) is filled in a loop; a
 * longer one is written by the native codec straight into the new array,
 * with no scratch copy in between.
 */
export function binaryStringToBytes(text: string): Uint8Array {
  const length = text.length;
  const bytes = new Uint8Array(length);
  if (latin1 !== undefined && length > ON_HEAP_BYTES) {
    latin1.latin1Write.call(bytes, text, 0, length);
  } else {
    for (let i = 0; i < length; i++) bytes[i] = text.charCodeAt(i);
  }
  return bytes;
}

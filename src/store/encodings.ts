/**
 * Key and value encodings: what a store's keys and values are to its caller.
 *
 * The engine holds bytes and orders keys bytewise; an encoding maps the
 * caller's values to those bytes on the way in and back on the way out.
 * Chosen at open, it holds for every entry point (commits, reads, ranges,
 * versions, transactions, events) and is kept in the tier beside the tables:
 *
 * ```
 *   keyEncoding   caller's key                 stored bytes
 *   binary        Uint8Array | string (UTF-8)  the bytes (reads give Uint8Array)
 *   utf8          string                       its UTF-8
 *   ordered       string | number | boolean    ordered-binary: bytewise order is
 *                 | null | an array of those   the values' natural order
 *   valueEncoding
 *   binary        Uint8Array | string (UTF-8)  the bytes (reads give Uint8Array)
 *   utf8          string                       its UTF-8
 *   json          anything JSON.stringify      UTF-8 JSON
 *                 takes (not undefined)
 *   msgpack       anything msgpackr packs      MessagePack (msgpackr, no records)
 *                 (not undefined)
 * ```
 *
 * `binary` is the engine's own form: its codec is the byte check every entry
 * point already made, and reads skip decoding altogether (`identity`), so a
 * binary store pays nothing for encodings. Every other codec returns fresh
 * arrays the store owns. A value a codec cannot take is `INVALID_KEY` or
 * `INVALID_VALUE`, never a `TypeError` from the library below.
 *
 * @module
 */

// msgpackr's plain-JavaScript entry: its Node entry reads `process` and
// loads a native helper, and the core loads no Node global or built-in.
import { Packr } from 'msgpackr/pack';
import { fromBufferKey, toBufferKey } from 'ordered-binary';
import { describe, equalBytes, fromUtf8, toBytes, toOwnedBytes, utf8 } from '../common/bytes.js';
import { InvalidInputError, TierIoError } from '../common/errors.js';

/** How keys are given and returned. */
export type KeyEncoding = 'binary' | 'utf8' | 'ordered';

/** How values are given and returned. */
export type ValueEncoding = 'binary' | 'utf8' | 'json' | 'msgpack';

/** One part of an `ordered` key. */
export type OrderedKeyPart = string | number | boolean | null;

/** A key of the `ordered` encoding: a part, or an array of parts (compared element by element). */
export type OrderedKey = OrderedKeyPart | readonly OrderedKeyPart[];

/**
 * The key type reads return for a key encoding. TypeScript follows a literal
 * encoding (`keyEncoding: 'utf8'`); one typed as the whole union (an option
 * built at run time) types as the default, bytes: annotate such a store.
 */
export type KeyOf<E> = [E] extends ['utf8']
  ? string
  : [E] extends ['ordered']
    ? OrderedKey
    : Uint8Array;

/** The value type reads return for a value encoding (`unknown` for json and msgpack). */
export type ValueOf<E> = [E] extends ['utf8']
  ? string
  : [E] extends ['json' | 'msgpack']
    ? unknown
    : Uint8Array;

/** What the API accepts for a key or value whose reads return `T`: bytes also take a string. */
export type Input<T> = T extends Uint8Array ? Uint8Array | string : T;

/** What the store calls where keys and values cross the API. */
export interface Codecs {
  readonly keyEncoding: KeyEncoding;
  readonly valueEncoding: ValueEncoding;
  /** Keys are the caller's bytes: reads hand them out as they are. */
  readonly binaryKeys: boolean;
  /** Values are the caller's bytes: reads hand them out as they are. */
  readonly binaryValues: boolean;
  /** A key (or prefix) as bytes the store owns; `INVALID_KEY` when the encoding cannot take it. */
  key(input: unknown, what?: 'key' | 'prefix'): Uint8Array;
  /** A stored key as the caller's type. */
  keyOf(bytes: Uint8Array): unknown;
  /**
   * A value as bytes; `INVALID_VALUE` when the encoding cannot take it. With
   * `owned`, a fresh array; without, possibly the caller's own (binary only).
   */
  value(input: unknown, owned: boolean): Uint8Array;
  /** A stored value as the caller's type. */
  valueOf(bytes: Uint8Array): unknown;
}

/** The encodings `open` accepts. */
export const KEY_ENCODINGS: readonly KeyEncoding[] = Object.freeze(['binary', 'utf8', 'ordered']);
export const VALUE_ENCODINGS: readonly ValueEncoding[] = Object.freeze([
  'binary',
  'utf8',
  'json',
  'msgpack',
]);

interface KeyCodec {
  encode(input: unknown, what: 'key' | 'prefix'): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

interface ValueCodec {
  encode(input: unknown, owned: boolean): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

const same = (bytes: Uint8Array) => bytes;

function badKey(what: 'key' | 'prefix', message: string): never {
  throw new InvalidInputError('INVALID_KEY', `${what} ${message}`);
}

function badValue(message: string): never {
  throw new InvalidInputError('INVALID_VALUE', `value ${message}`);
}

/** A UTF-16 surrogate without its pair: UTF-8 has no form for it. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Why a string cannot be a `utf8` key or value, or undefined. A lone
 * surrogate would be written as U+FFFD: two different strings would become
 * one key, and a value would read back changed.
 */
function notUtf8(input: unknown, what: string): string | undefined {
  if (typeof input !== 'string') return `must be a string (${what} 'utf8'), got ${describe(input)}`;
  if (LONE_SURROGATE.test(input)) {
    return `holds a lone surrogate, which UTF-8 cannot hold (${what} 'utf8')`;
  }
  return undefined;
}

const KEY_CODECS: Record<KeyEncoding, KeyCodec> = {
  binary: { encode: (input, what) => toOwnedBytes(input, what), decode: same },
  utf8: {
    encode: (input, what) => {
      const refusal = notUtf8(input, 'keyEncoding');
      return refusal === undefined ? utf8(input as string) : badKey(what, refusal);
    },
    decode: fromUtf8,
  },
  ordered: { encode: encodeOrdered, decode: decodeOrdered },
};

function isOrderedPart(part: unknown): boolean {
  const type = typeof part;
  if (type === 'number') return Number.isFinite(part);
  return type === 'string' || type === 'boolean' || part === null;
}

/**
 * ordered-binary writes -0 as bytes that read back as something else (and
 * differ from 0's): -0 is the key 0, as `===` has it.
 */
const signedZeroFree = (part: unknown) => (Object.is(part, -0) ? 0 : part);

/**
 * ordered-binary writes into a shared pool: the store keeps a copy of its own.
 * A one-element array is written as its element: ordered-binary reads both
 * back as the element, but pads a number inside an array, so `[1]` and `1`
 * would be two keys that read the same.
 */
function encodeOrdered(input: unknown, what: 'key' | 'prefix'): Uint8Array {
  const ok = Array.isArray(input)
    ? input.length > 0 && input.every(isOrderedPart)
    : isOrderedPart(input);
  if (!ok) {
    badKey(
      what,
      'must be a string, a finite number, a boolean, null, or a non-empty array of those ' +
        `(keyEncoding 'ordered'), got ${describe(input)}`,
    );
  }
  const key = Array.isArray(input)
    ? input.length === 1
      ? signedZeroFree(input[0])
      : input.map(signedZeroFree)
    : signedZeroFree(input);
  const bytes = toOrderedBytes(key, what);
  if (Array.isArray(key) && key.includes(null)) checkReadsBack(key, bytes, what);
  return bytes;
}

function toOrderedBytes(key: unknown, what: 'key' | 'prefix'): Uint8Array {
  try {
    return new Uint8Array(toBufferKey(key as Parameters<typeof toBufferKey>[0]));
  } catch {
    // The one thing the checks above leave it to refuse: a key past its 8 KiB buffer.
    return badKey(
      what,
      "is too long for keyEncoding 'ordered' (ordered-binary encodes keys of at most 8,188 bytes)",
    );
  }
}

/**
 * ordered-binary writes `null` in an array as the byte that also separates
 * the parts, and reads some such arrays back wrong (`[0, false, null]` as
 * `[0, false, '']`, two nulls in a row as one): a key is only stored if it
 * reads back as written. Arrays without `null` always do.
 */
function checkReadsBack(key: readonly unknown[], bytes: Uint8Array, what: 'key' | 'prefix'): void {
  // On a copy: ordered-binary hangs a DataView on the array it reads.
  const back = decodeOrdered(bytes.slice());
  const same =
    Array.isArray(back) &&
    back.length === key.length &&
    back.every((part, i) => Object.is(part, key[i]));
  if (!same) {
    badKey(
      what,
      `${JSON.stringify(key)}: ordered-binary cannot read it back (it reads ` +
        `${JSON.stringify(back)}); use another placeholder than null there (keyEncoding 'ordered')`,
    );
  }
}

function decodeOrdered(bytes: Uint8Array): unknown {
  try {
    return fromBufferKey(bytes as Buffer);
  } catch (error) {
    throw new TierIoError('a stored key cannot be read as an ordered key', error);
  }
}

/** Plain MessagePack: no msgpackr records, so other MessagePack readers can read the values. */
const packr = new Packr({ useRecords: false });

const VALUE_CODECS: Record<ValueEncoding, ValueCodec> = {
  binary: {
    encode: (input, owned) => (owned ? toOwnedBytes(input, 'value') : toBytes(input, 'value')),
    decode: same,
  },
  utf8: {
    encode: (input) => {
      const refusal = notUtf8(input, 'valueEncoding');
      return refusal === undefined ? utf8(input as string) : badValue(refusal);
    },
    decode: fromUtf8,
  },
  json: { encode: encodeJson, decode: (bytes) => readStored(() => JSON.parse(fromUtf8(bytes))) },
  msgpack: { encode: encodeMsgpack, decode: (bytes) => readStored(() => packr.unpack(bytes)) },
};

function encodeJson(input: unknown): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(input);
  } catch (error) {
    const reason = error instanceof Error ? error.message : describe(error);
    badValue(`cannot be written as JSON (valueEncoding 'json'): ${reason}`);
  }
  if (text === undefined) {
    badValue(`cannot be written as JSON (valueEncoding 'json'), got ${describe(input)}`);
  }
  return utf8(text);
}

function encodeMsgpack(input: unknown): Uint8Array {
  if (input === undefined) badValue("must not be undefined (valueEncoding 'msgpack')");
  let packed: Uint8Array;
  try {
    // msgpackr reuses its output buffer: copy what it wrote.
    packed = new Uint8Array(packr.pack(input));
  } catch (error) {
    const reason = error instanceof Error ? error.message : describe(error);
    return badValue(`cannot be written as MessagePack (valueEncoding 'msgpack'): ${reason}`);
  }
  // A function packs as undefined, which would read back as a tombstone's value.
  if (equalBytes(packed, PACKED_UNDEFINED)) {
    badValue(`packs as undefined (valueEncoding 'msgpack'), got ${describe(input)}`);
  }
  return packed;
}

const PACKED_UNDEFINED = new Uint8Array(packr.pack(undefined));

function readStored(decode: () => unknown): unknown {
  try {
    return decode();
  } catch (error) {
    throw new TierIoError("a stored value cannot be read in the store's value encoding", error);
  }
}

/** The codecs of a pair of encodings. */
export function codecsFor(keyEncoding: KeyEncoding, valueEncoding: ValueEncoding): Codecs {
  const key = KEY_CODECS[keyEncoding];
  const value = VALUE_CODECS[valueEncoding];
  return Object.freeze({
    keyEncoding,
    valueEncoding,
    binaryKeys: keyEncoding === 'binary',
    binaryValues: valueEncoding === 'binary',
    key: (input: unknown, what: 'key' | 'prefix' = 'key') => key.encode(input, what),
    keyOf: key.decode,
    value: value.encode,
    valueOf: value.decode,
  });
}

/** The codecs of a store opened without encodings: bytes in, bytes out. */
export const BINARY_CODECS: Codecs = codecsFor('binary', 'binary');

/** An entry as the caller's types: as it is for binary keys and values (no copy, no call). */
export function decodeEntry<
  E extends { readonly key: Uint8Array; readonly value: Uint8Array },
  K,
  V,
>(codecs: Codecs, entry: E): Omit<E, 'key' | 'value'> & { readonly key: K; readonly value: V } {
  if (codecs.binaryKeys && codecs.binaryValues) return entry as never;
  return {
    ...entry,
    key: (codecs.binaryKeys ? entry.key : codecs.keyOf(entry.key)) as K,
    value: (codecs.binaryValues ? entry.value : codecs.valueOf(entry.value)) as V,
  };
}

/** Entries as the caller's types, lazily; the same iterator for binary keys and values. */
export function decodedEntries<E extends { readonly key: Uint8Array; readonly value: Uint8Array }>(
  codecs: Codecs,
  entries: Iterator<E>,
): Iterator<never> {
  if (codecs.binaryKeys && codecs.binaryValues) return entries as Iterator<never>;
  return (function* () {
    // for-of over the wrapper passes a return() on to the entries (closing their snapshot).
    for (const entry of { [Symbol.iterator]: () => entries })
      yield decodeEntry(codecs, entry) as never;
  })();
}

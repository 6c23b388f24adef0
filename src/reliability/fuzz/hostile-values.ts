/**
 * Hostile values for the API fuzz test, generated as printable tokens.
 *
 * fast-check prints the counterexample of a failing run, and shrinks it; a
 * Proxy that throws on every property access would break both. So the
 * arbitraries here generate plain data ({@link ValueSpec}), and
 * {@link materialize} turns a spec into the real value (a symbol, a bigint, a
 * throwing Proxy, a typed array of the wrong kind...) only when the call is
 * made:
 *
 * ```
 *   arbitrary ──► { junk: 'throwingProxy' }  (printable, shrinkable)
 *                        │ materialize, at call time
 *                        ▼
 *                 new Proxy({}, { get() { throw HOSTILE } ... })
 * ```
 *
 * Some inputs are hostile on purpose by throwing from the caller's own code
 * (a Proxy trap, a `toString`): such an error is the caller's, and the store
 * may let it through unchanged ({@link HostileAccessError}); it must still
 * change nothing.
 *
 * @module
 */

import fc from 'fast-check';

/** What a hostile Proxy or getter throws: the caller's own error, not the store's. */
export class HostileAccessError extends Error {
  constructor() {
    super('hostile input: property access refused');
    this.name = 'HostileAccessError';
  }
}

/** Tags of wrong values every API edge should reject (or pass through, when harmless). */
export const JUNK_TAGS = [
  'null',
  'undefined',
  'true',
  'symbol',
  'bigint',
  'function',
  'class',
  'emptyObject',
  'nullProtoObject',
  'arrayLike',
  'emptyArray',
  'numberArray',
  'date',
  'regexp',
  'map',
  'boxedString',
  'boxedNumber',
  'throwingToString',
  'throwingToPrimitive',
  'throwingProxy',
  'arrayBuffer',
  'dataView',
  'uint16Array',
  'int8Array',
  'uint8ClampedArray',
  'float64Array',
] as const;

/** A junk tag. */
export type JunkTag = (typeof JUNK_TAGS)[number];

/**
 * Byte views that are `instanceof Uint8Array` but cannot be copied: a
 * transparent Proxy of a Uint8Array, a view of a detached buffer, a view left
 * out of bounds by a shrunk resizable buffer. The store must reject them
 * with INVALID_KEY / INVALID_VALUE (see fuzz-regressions.test.ts).
 */
export const BROKEN_VIEW_TAGS = [
  'proxiedBytes',
  'detachedBytes',
  'outOfBoundsBytes',
  'shrunkBytes',
] as const;

/** A broken byte view tag. */
export type BrokenViewTag = (typeof BROKEN_VIEW_TAGS)[number];

/** Numbers that are not versions, counts or sizes (and a few that are, at the edges). */
export const ODD_NUMBERS = [
  -0,
  -1,
  -0.5,
  0.5,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  2 ** 53,
  2 ** 53 + 2,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  -(2 ** 31),
  2 ** 32,
  1e21,
] as const;

/** A value as the arbitraries generate it (see the module comment). */
export type ValueSpec =
  | { readonly str: string }
  | { readonly bytes: readonly number[]; readonly as: 'u8' | 'buffer' | 'view' }
  | { readonly num: number }
  | { readonly bool: boolean }
  | { readonly junk: JunkTag }
  | { readonly broken: BrokenViewTag };

/** Turn a spec into the value passed to the API. */
export function materialize(spec: ValueSpec): unknown {
  if ('str' in spec) return spec.str;
  if ('num' in spec) return spec.num;
  if ('bool' in spec) return spec.bool;
  if ('bytes' in spec) return bytesOf(spec.bytes, spec.as);
  if ('broken' in spec) return brokenView(spec.broken);
  return junk(spec.junk);
}

function bytesOf(bytes: readonly number[], as: 'u8' | 'buffer' | 'view'): Uint8Array {
  if (as === 'u8') return Uint8Array.from(bytes);
  if (as === 'buffer') return Buffer.from(bytes);
  // A view into the middle of a larger buffer: offset and length matter.
  const backing = new Uint8Array(bytes.length + 6).fill(0x5a);
  backing.set(bytes, 3);
  return backing.subarray(3, 3 + bytes.length);
}

function refuse(): never {
  throw new HostileAccessError();
}

/** A Proxy whose every trap throws {@link HostileAccessError}. */
export function throwingProxy(): object {
  return new Proxy(
    {},
    {
      get: refuse,
      has: refuse,
      ownKeys: refuse,
      getOwnPropertyDescriptor: refuse,
      getPrototypeOf: refuse,
    },
  );
}

function junk(tag: JunkTag): unknown {
  switch (tag) {
    case 'null':
      return null;
    case 'undefined':
      return undefined;
    case 'true':
      return true;
    case 'symbol':
      return Symbol('hostile');
    case 'bigint':
      return 7n;
    case 'function':
      return () => 'a';
    case 'class':
      return class Hostile {};
    case 'emptyObject':
      return {};
    case 'nullProtoObject':
      return Object.create(null);
    case 'arrayLike':
      return { 0: 97, length: 1 };
    case 'emptyArray':
      return [];
    case 'numberArray':
      return [97, 98];
    case 'date':
      return new Date(0);
    case 'regexp':
      return /a/;
    case 'map':
      return new Map([['a', 1]]);
    case 'boxedString':
      return new String('a');
    case 'boxedNumber':
      return new Number(1);
    default:
      return exoticJunk(tag);
  }
}

function exoticJunk(tag: JunkTag): unknown {
  switch (tag) {
    case 'throwingToString':
      return { toString: refuse, valueOf: refuse };
    case 'throwingToPrimitive':
      return { [Symbol.toPrimitive]: refuse };
    case 'throwingProxy':
      return throwingProxy();
    case 'arrayBuffer':
      return new ArrayBuffer(2);
    case 'dataView':
      return new DataView(new ArrayBuffer(2));
    case 'uint16Array':
      return Uint16Array.of(97);
    case 'int8Array':
      return Int8Array.of(97);
    case 'uint8ClampedArray':
      return Uint8ClampedArray.of(97);
    case 'float64Array':
      return Float64Array.of(97);
    default:
      throw new Error(`unknown junk tag ${tag}`);
  }
}

/** A byte view that claims to be a Uint8Array and cannot be read as one. */
export function brokenView(tag: BrokenViewTag): Uint8Array {
  switch (tag) {
    case 'proxiedBytes':
      return new Proxy(Uint8Array.of(97), {});
    case 'detachedBytes': {
      const buffer = new ArrayBuffer(2);
      const view = new Uint8Array(buffer);
      structuredClone(buffer, { transfer: [buffer] });
      return view;
    }
    case 'outOfBoundsBytes':
    case 'shrunkBytes': {
      const Resizable = ArrayBuffer as unknown as new (
        length: number,
        options: { maxByteLength: number },
      ) => ArrayBuffer & { resize(length: number): void };
      const buffer = new Resizable(8, { maxByteLength: 16 });
      // Past the new end; or at offset 0, where even `subarray(0, 0)` still works.
      const view =
        tag === 'shrunkBytes' ? new Uint8Array(buffer, 0, 8) : new Uint8Array(buffer, 4, 4);
      buffer.resize(2);
      return view;
    }
  }
}

/** Any junk value. */
export const junkSpec: fc.Arbitrary<ValueSpec> = fc.oneof(
  fc.constantFrom(...JUNK_TAGS).map((junk) => ({ junk })),
  fc.constantFrom(...ODD_NUMBERS, 0, 1, 3).map((num) => ({ num })),
  fc.constantFrom(...BROKEN_VIEW_TAGS).map((broken) => ({ broken })),
);

/** True when `error` is the caller's own hostile error passing through. */
export function isHostileAccess(error: unknown): boolean {
  return error instanceof HostileAccessError;
}

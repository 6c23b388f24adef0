/**
 * Composite (key, version) keys for the ordered key-value peers (lmdb,
 * LevelDB): the key bytes followed by the version as 8 big-endian bytes, so
 * bytewise order puts a key's versions together, oldest first, and "the
 * newest version <= V of k" is one reverse seek to (k, V).
 *
 * ```
 *   key (16 bytes) | version (8 bytes, big-endian)
 * ```
 *
 * @module
 */

/** Bytes of the version suffix. */
export const VERSION_BYTES = 8;
/** Above every version: the exclusive end of a key's versions. */
export const END_VERSION = 2 ** 53;

const TWO_32 = 0x1_0000_0000;

/** The composite key of `(key, version)`. */
export function versionedKey(key: Uint8Array, version: number): Buffer {
  const bytes = Buffer.allocUnsafe(key.length + VERSION_BYTES);
  bytes.set(key, 0);
  bytes.writeUInt32BE(Math.floor(version / TWO_32), key.length);
  bytes.writeUInt32BE(version >>> 0, key.length + 4);
  return bytes;
}

/** The version of a composite key. */
export function versionOf(composite: Uint8Array): number {
  const at = composite.length - VERSION_BYTES;
  return readUint32(composite, at) * TWO_32 + readUint32(composite, at + 4);
}

/** True when two composite keys belong to the same key. */
export function sameKeyPart(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && equalPrefix(a, b, a.length - VERSION_BYTES);
}

/** True when the composite key `composite` belongs to `key`. */
export function keyPartIs(composite: Uint8Array, key: Uint8Array): boolean {
  return composite.length === key.length + VERSION_BYTES && equalPrefix(composite, key, key.length);
}

function equalPrefix(a: Uint8Array, b: Uint8Array, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)) >>>
    0
  );
}

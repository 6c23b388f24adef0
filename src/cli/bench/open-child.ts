/**
 * The child process of W8 (open-time.ts).
 *
 * - `open-child.js build FILE VERSIONS`: write a file of VERSIONS stored
 *   versions through the store (20 versions per key, 16-byte keys, 100-byte
 *   values, commits of 50,000 writes, keys ascending within a commit) and
 *   close it cleanly; prints `{ "ms": ... }`.
 * - `open-child.js open FILE`: time `MultiStore.open` of the file plus one
 *   `get` (the first open of the process, so the native driver's loading is
 *   included, as a user pays it); prints `{ "ms": ..., "cpuMs": ...,
 *   "version": ... }` (wall time, and the CPU time of the process meanwhile,
 *   which a busy machine does not inflate).
 *
 * @module
 */

import { MultiStore } from '../../store/multistore.js';
import { W8_DEPTH as DEPTH, W8_PER_COMMIT as PER_COMMIT, W8_READ_KEY } from './open-time.js';

/** The 16-byte key `i`: its index big-endian, then a fixed pattern. */
function keyOf(i: number): Uint8Array {
  const key = new Uint8Array(16).fill(0x6b);
  new DataView(key.buffer).setUint32(0, i);
  return key;
}

async function build(path: string, versions: number): Promise<void> {
  const started = performance.now();
  const keys = Math.ceil(versions / DEPTH);
  const value = new Uint8Array(100).fill(0x76);
  const store = MultiStore.open({ path });
  let version = 0;
  for (let depth = 0; depth < DEPTH; depth++) {
    for (let start = 0; start < keys; start += PER_COMMIT) {
      const end = Math.min(keys, start + PER_COMMIT);
      const deltas = [];
      for (let i = start; i < end; i++) deltas.push({ type: 'set' as const, key: keyOf(i), value });
      store.commit(deltas, ++version);
    }
  }
  await store.close();
  process.stdout.write(`${JSON.stringify({ ms: performance.now() - started })}\n`);
}

async function open(path: string): Promise<void> {
  const key = keyOf(W8_READ_KEY);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const store = MultiStore.open({ path });
  const entry = store.get(key);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await store.close();
  const cpuMs = (used.user + used.system) / 1000;
  process.stdout.write(`${JSON.stringify({ ms, cpuMs, version: entry?.version })}\n`);
}

const [what, path, versions] = process.argv.slice(2);
try {
  if (what === 'build' && path !== undefined) await build(path, Number(versions));
  else if (what === 'open' && path !== undefined) await open(path);
  else throw new Error('usage: open-child.js build FILE VERSIONS | open FILE');
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}

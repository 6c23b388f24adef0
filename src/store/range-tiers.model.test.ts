/**
 * Ranges through the public API answer the same on the SQLite tier (one
 * recursive statement per page, sqlite/range-statements.ts) as on the memory
 * tier (the walk of range-walk.ts), and, while nothing was dropped, as a
 * plain model of the history: random histories of sets, tombstones, key and
 * range drops over keys at the edges of the byte order (the empty key, 0x00
 * and 0xff bytes, keys that are prefixes of one another, a long key), then
 * random ranges (prefixes ending in 0xff, bounds of every kind, start past
 * end), both directions, at every version from 0 to above the latest, with
 * random page sizes; refusals (VERSION_TOO_OLD and its `readableFrom`)
 * compared too. A second property reads ranges lazily, committing and
 * dropping between pages, and a third a read-only store's range beside a
 * writer that commits, drops and compacts while the reader's iterator is
 * open.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { bytesToBinaryString, compareBytes } from '../common/bytes.js';
import { isStoreError } from '../common/errors.js';
import { tempFiles } from '../test-support/store-setups.js';
import { MultiStore } from './multistore.js';
import type { RangeSpec } from './range.js';

const LONG = new Uint8Array(2048).fill(0x61);
LONG[2047] = 0x62;

const KEYS: readonly Uint8Array[] = [
  new Uint8Array(0),
  new Uint8Array([0]),
  new Uint8Array([0, 0]),
  new Uint8Array([0x61]),
  new Uint8Array([0x61, 0]),
  new Uint8Array([0x61, 0x62]),
  new Uint8Array([0x61, 0xff]),
  new Uint8Array([0x61, 0xff, 0xff]),
  new Uint8Array([0x62]),
  new Uint8Array([0x74, 0x3a, 0x31]), // "t:1" (table "plain")
  new Uint8Array([0x74, 0x3a, 0xff]),
  new Uint8Array([0x74, 0x3b]),
  new Uint8Array([0xff]),
  new Uint8Array([0xff, 0]),
  new Uint8Array([0xff, 0xff]),
  LONG,
];

/** Bounds and prefixes: the keys, and bytes between them. */
const EDGES: readonly Uint8Array[] = [
  ...KEYS,
  new Uint8Array([0x61, 0x61]),
  new Uint8Array([0x74, 0x3a]),
  new Uint8Array([0xff, 0xff, 0xff]),
  LONG.subarray(0, 2047),
];

const TABLES = [
  { name: 'plain', prefix: 't:' },
  { name: 'plain2', prefix: 't;' },
  { name: 'plai', prefix: 'a' },
];

type Op =
  | { kind: 'set'; key: number; value: number }
  | { kind: 'remove'; key: number }
  | { kind: 'drop'; key: number; keep: number }
  | { kind: 'dropBelow'; key: number; back: number }
  | { kind: 'dropPrefix'; edge: number; keep: number }
  | { kind: 'flush' }
  | { kind: 'compact' };

const key = fc.nat({ max: KEYS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), key, value: fc.nat(9) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), key }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('drop' as const),
      key,
      keep: fc.integer({ min: 1, max: 2 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('dropBelow' as const), key, back: fc.nat(3) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('dropPrefix' as const),
      edge: fc.nat({ max: EDGES.length - 1 }),
      keep: fc.integer({ min: 1, max: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
);

interface Read {
  spec: { prefix?: number; start?: number; end?: number; endInclusive?: boolean } | undefined;
  reverse: boolean;
  pageSize: number;
  /** Versions back from the latest + 2 (so 0..latest+2). */
  back: number;
}

const edge = fc.nat({ max: EDGES.length - 1 });
const readArb: fc.Arbitrary<Read> = fc.record({
  spec: fc.oneof(
    fc.constant(undefined),
    fc.record({ prefix: edge }),
    fc.record({ prefix: fc.constantFrom(0, 1, 3, 6, 9, 12, 14) }),
    fc.record({ start: edge, end: edge, endInclusive: fc.boolean() }, { requiredKeys: [] }),
    fc.record({ start: edge, end: edge, endInclusive: fc.boolean() }).map((spec) => {
      const [low, high] = [spec.start, spec.end].sort((x, y) =>
        compareBytes(EDGES[x] as Uint8Array, EDGES[y] as Uint8Array),
      );
      return { ...spec, start: low as number, end: high as number };
    }),
  ),
  reverse: fc.boolean(),
  pageSize: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(256)),
  back: fc.oneof(fc.nat(4), fc.nat(40)),
});

function specOf(read: Read): RangeSpec | undefined {
  if (read.spec === undefined) return undefined;
  const { prefix, start, end, endInclusive } = read.spec;
  const spec: {
    prefix?: Uint8Array;
    start?: Uint8Array;
    end?: Uint8Array;
    endInclusive?: boolean;
  } = {};
  if (prefix !== undefined) spec.prefix = EDGES[prefix] as Uint8Array;
  if (start !== undefined) spec.start = EDGES[start] as Uint8Array;
  if (end !== undefined) spec.end = EDGES[end] as Uint8Array;
  if (endInclusive !== undefined) spec.endInclusive = endInclusive;
  return spec;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Apply `op` to every store, then let flushes and compactions run. */
async function step(stores: MultiStore[], history: History, op: Op): Promise<boolean> {
  const dropped = apply(stores, history, op);
  if (op.kind === 'flush') for (const store of stores) await store.flush();
  if (op.kind === 'compact') for (const store of stores) await store.compact();
  return dropped;
}

/** What a read answers, as text: its entries, or the error it threw. */
function outcome(
  read: () => Iterable<{ key: Uint8Array; value: Uint8Array; version?: number | undefined }>,
) {
  try {
    return [...read()].map(({ key, value, version }) => `${hex(key)}@${version}=${hex(value)}`);
  } catch (error) {
    if (!isStoreError(error)) throw error;
    const from = (error as { readableFrom?: number }).readableFrom;
    return [`error ${error.code} ${from ?? ''}`];
  }
}

/** What a `diff` or `changes` answers, as text (bytes in hex): its items, or the error it threw. */
function historyOutcome(read: () => unknown[]): string {
  try {
    return JSON.stringify(read(), (_, value) => (value instanceof Uint8Array ? hex(value) : value));
  } catch (error) {
    if (!isStoreError(error)) throw error;
    return `error ${error.code}`;
  }
}

/** The plain model: every write of every key, in version order. */
class History {
  readonly #writes = new Map<string, { version: number; value: Uint8Array | undefined }[]>();

  write(key: Uint8Array, version: number, value: Uint8Array | undefined): void {
    const id = bytesToBinaryString(key);
    const list = this.#writes.get(id) ?? [];
    list.push({ version, value });
    this.#writes.set(id, list);
  }

  range(read: Read, version: number): string[] {
    const spec = specOf(read) ?? {};
    const inRange = (k: Uint8Array) => {
      if (spec.prefix !== undefined) {
        const p = spec.prefix as Uint8Array;
        return k.length >= p.length && compareBytes(k.subarray(0, p.length), p) === 0;
      }
      if (spec.start !== undefined && compareBytes(k, spec.start as Uint8Array) < 0) return false;
      if (spec.end !== undefined) {
        const order = compareBytes(k, spec.end as Uint8Array);
        if (order > 0 || (order === 0 && spec.endInclusive !== true)) return false;
      }
      return true;
    };
    const found: { key: Uint8Array; version: number; value: Uint8Array }[] = [];
    for (const [id, list] of this.#writes) {
      const k = Uint8Array.from(id, (c) => c.charCodeAt(0));
      const last = list.filter((w) => w.version <= version).at(-1);
      if (last?.value !== undefined && inRange(k)) {
        found.push({ key: k, version: last.version, value: last.value });
      }
    }
    found.sort((a, b) => compareBytes(a.key, b.key) * (read.reverse ? -1 : 1));
    return found.map(({ key, value, version }) => `${hex(key)}@${version}=${hex(value)}`);
  }
}

function open(tier: 'memory' | 'sqlite') {
  return MultiStore.open({ tier, actorMode: 'inline', tables: TABLES });
}

function apply(stores: MultiStore[], history: History, op: Op): boolean {
  if (op.kind === 'flush' || op.kind === 'compact') return false;
  let dropped = false;
  let delta: Parameters<MultiStore['commit']>[0][number];
  let value: Uint8Array | undefined;
  const k = KEYS[(op as { key?: number }).key ?? 0] as Uint8Array;
  switch (op.kind) {
    case 'set':
      value = new Uint8Array(op.key === 3 ? 3000 : 2).fill(op.value);
      delta = { type: 'set', key: k, value };
      break;
    case 'remove':
      delta = { type: 'remove', key: k };
      break;
    case 'drop':
      delta = { type: 'drop', key: k, keepLastVersions: op.keep };
      dropped = true;
      break;
    case 'dropBelow':
      delta = {
        type: 'drop',
        key: k,
        upToVersion: Math.max(1, (stores[0] as MultiStore).latestVersion - op.back),
      };
      dropped = true;
      break;
    case 'dropPrefix':
      delta = { type: 'drop', prefix: EDGES[op.edge] as Uint8Array, keepLastVersions: op.keep };
      dropped = true;
      break;
  }
  const versions = stores.map((store) => store.commit([delta]));
  assert.equal(new Set(versions).size, 1);
  if (!dropped) history.write(k, versions[0] as number, value);
  return dropped;
}

it('ranges answer the same on the SQLite tier, the memory tier and the model', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(opArb, { minLength: 1, maxLength: 40 }),
      fc.array(readArb, { minLength: 1, maxLength: 12 }),
      async (ops, reads) => {
        const stores = [open('memory'), open('sqlite')];
        const history = new History();
        let dropped = false;
        try {
          for (const op of ops) {
            if (await step(stores, history, op)) dropped = true;
          }
          for (const store of stores) await store.flush();
          const latest = (stores[0] as MultiStore).latestVersion;
          for (const read of reads) {
            const version = Math.max(0, latest + 2 - read.back);
            const options = { version, reverse: read.reverse, pageSize: read.pageSize };
            const [memory, sqlite] = stores.map((store) =>
              outcome(() => store.range(specOf(read), options)),
            );
            const label = JSON.stringify({ read, version, latest });
            assert.deepEqual(sqlite, memory, label);
            if (!dropped) assert.deepEqual(sqlite, history.range(read, version), `model: ${label}`);
            const [memoryTx, sqliteTx] = stores.map((store) =>
              outcome(() => {
                const tx = store.begin({ readOnly: true, asOf: Math.min(version, latest) });
                try {
                  return [
                    ...tx.range(specOf(read), { reverse: read.reverse, pageSize: read.pageSize }),
                  ];
                } finally {
                  tx.rollback();
                }
              }),
            );
            assert.deepEqual(sqliteTx, memoryTx, `snapshot: ${label}`);
            const other = Math.max(0, latest - read.back);
            const [memoryHistory, sqliteHistory] = stores.map((store) =>
              historyOutcome(() => {
                const spec = specOf(read);
                const options = { ...spec, pageSize: read.pageSize };
                const diff = store.diff(other, version, { ...options, reverse: read.reverse });
                const changes = store.changes({ ...options, from: other, to: version });
                return [...diff, ...changes];
              }),
            );
            assert.deepEqual(sqliteHistory, memoryHistory, `diff and changes: ${label}`);
          }
        } finally {
          for (const store of stores) await store.close();
        }
      },
    ),
    { numRuns: 150 },
  );
});

it('lazy ranges answer the same on both tiers with commits and drops between pages', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(opArb, { minLength: 1, maxLength: 30 }),
      readArb,
      fc.array(fc.tuple(fc.nat(3), opArb), { maxLength: 8 }),
      async (ops, read, between) => {
        const stores = [open('memory'), open('sqlite')];
        const history = new History();
        try {
          for (const op of ops) await step(stores, history, op);
          for (const store of stores) await store.flush();
          const latest = (stores[0] as MultiStore).latestVersion;
          const version = Math.max(0, latest + 2 - read.back);
          const options = { version, reverse: read.reverse, pageSize: read.pageSize };
          const whole = stores.map((store) => outcome(() => store.range(specOf(read), options)));
          assert.deepEqual(whole[1], whole[0], 'before');
          if ((whole[0]?.[0] ?? '').startsWith('error')) return;
          const iterators = stores.map((store) => store.range(specOf(read), options));
          const seen: string[][] = [[], []];
          const take = (n: number) => {
            for (const [i, iterator] of iterators.entries()) {
              for (let j = 0; j < n; j++) {
                const next = iterator.next();
                if (next.done) break;
                const { key, value, version: v } = next.value;
                seen[i]?.push(`${hex(key)}@${v}=${hex(value)}`);
              }
            }
          };
          for (const [n, op] of between) {
            take(n);
            await step(stores, history, op);
            for (const store of stores) await store.flush();
          }
          take(Number.MAX_SAFE_INTEGER);
          assert.deepEqual(seen[1], seen[0], 'lazy: sqlite vs memory');
          assert.deepEqual(seen[0], whole[0], 'lazy: one state');
        } finally {
          for (const store of stores) await store.close();
        }
      },
    ),
    { numRuns: 100 },
  );
});

const files = tempFiles('multistore-range-tiers-', 'ranges');

it("a read-only store's lazy range reads one state while the writer commits, drops and compacts", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(opArb, { minLength: 1, maxLength: 30 }),
      readArb,
      fc.array(fc.tuple(fc.nat(3), opArb), { maxLength: 6 }),
      async (ops, read, between) => {
        const path = files.fresh();
        const writer = MultiStore.open({
          tier: 'sqlite',
          path,
          actorMode: 'inline',
          tables: TABLES,
        });
        const memory = open('memory');
        const reader = MultiStore.open({ path, readOnly: true, tables: TABLES });
        const stores = [memory, writer];
        const history = new History();
        try {
          for (const op of ops) await step(stores, history, op);
          for (const store of stores) await store.flush();
          const options = { reverse: read.reverse, pageSize: read.pageSize };
          const expected = outcome(() => memory.range(specOf(read), options));
          assert.deepEqual(
            outcome(() => reader.range(specOf(read), options)),
            expected,
            'reader',
          );
          const iterator = reader.range(specOf(read), options);
          const seen: string[] = [];
          const take = (n: number) => {
            for (let j = 0; j < n; j++) {
              const next = iterator.next();
              if (next.done) return;
              const { key, value, version } = next.value;
              seen.push(`${hex(key)}@${version}=${hex(value)}`);
            }
          };
          // A read-only store's range takes its snapshot of the file at the first `next()`.
          take(1);
          for (const [n, op] of between) {
            take(n);
            await step(stores, history, op);
            for (const store of stores) await store.flush();
          }
          take(Number.MAX_SAFE_INTEGER);
          assert.deepEqual(seen, expected, 'one state, whatever the writer did meanwhile');
        } finally {
          await reader.close();
          for (const store of stores) await store.close();
        }
      },
    ),
    { numRuns: 30 },
  );
});

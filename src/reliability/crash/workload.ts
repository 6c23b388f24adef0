/**
 * The crash test's workload: commit `v` is a pure function of `(seed, v)`.
 *
 * The child that gets killed and the parent that checks never talk about
 * content. The child only says "version v is acknowledged"; the parent
 * recomputes what commit v wrote from the seed. Versions continue from
 * `store.latestVersion` in every child (and in the parent's own post-reopen
 * commit), so the file always holds exactly the workload's commits 1..latest,
 * whatever crashed in between.
 *
 * Four tables, every commit touching each of them:
 *
 * ```
 *   table     prefix  retention   what a commit does there
 *   multi     m/      -           marker set (+ drop marker upTo v-32), random ops
 *   history   h/      -           marker set (+ drop marker keepLast 32), random ops
 *   latest    r1/     keep 1      marker set, random writes
 *   recent    r2/     keep 2      marker set, random writes
 * ```
 *
 * Random ops pick a table and one of {@link KEYS_PER_TABLE} keys: `set`,
 * `unset` or `remove`, or `drop` with no constraint, `upToVersion`,
 * `keepLastVersions` or both (more often on the two tables without
 * retention; on a retention table an explicit drop joins the implicit one). A
 * key is written at most once per commit (so "last write wins" never matters)
 * but may be both written and dropped by one commit (the pending-version
 * rule). Every commit makes explicit drops (the markers') and retention drops,
 * so wherever a kill lands, both kinds are usually pending in the log. About
 * one commit in twelve also drops over a range or prefix (with at least one
 * constraint), across tables at times (`r` meets `latest` and `recent`).
 *
 * @module
 */

import { utf8 } from '../../common/bytes.js';
import { SeededRandom as Rng } from '../../common/random.js';
import type { Delta } from '../../store/deltas.js';
import type { TableDeclaration } from '../../store/options.js';

/** One table of the workload. */
export interface WorkloadTable {
  readonly name: string;
  /** The prefix of the workload's keys in this table. */
  readonly prefix: string;
  /** `keepLastVersions` of the table's retention policy, if any. */
  readonly keep: number | undefined;
}

/** The workload's tables; `multi` is the store's default table (no declaration). */
export const WORKLOAD_TABLES: readonly WorkloadTable[] = Object.freeze([
  Object.freeze({ name: 'multi', prefix: 'm/', keep: undefined }),
  Object.freeze({ name: 'history', prefix: 'h/', keep: undefined }),
  Object.freeze({ name: 'latest', prefix: 'r1/', keep: 1 }),
  Object.freeze({ name: 'recent', prefix: 'r2/', keep: 2 }),
]);

/** What `MultiStore.open` is given, by the child and by the parent alike. */
export const CRASH_TABLE_DECLARATIONS: readonly TableDeclaration[] = Object.freeze(
  WORKLOAD_TABLES.filter((table) => table.name !== 'multi').map((table) =>
    Object.freeze({
      name: table.name,
      prefix: table.prefix,
      ...(table.keep === undefined ? {} : { retention: { keepLastVersions: table.keep } }),
    }),
  ),
);

/** Random keys per table (the marker key comes on top). */
export const KEYS_PER_TABLE = 16;

/**
 * The most commits a child makes in one burst (one turn): in the grouped
 * mode, the most a kill can find written but not acknowledged.
 */
export const MAX_BURST = 24;

/** Versions of a marker key the drops of the tables without retention leave. */
export const MARKER_WINDOW = 32;

/** The marker key of a table: written by every commit. */
export function markerKey(table: WorkloadTable): string {
  return `${table.prefix}marker`;
}

/** Every key the workload can write in `table`. */
export function keysOf(table: WorkloadTable): string[] {
  const keys = [markerKey(table)];
  for (let i = 0; i < KEYS_PER_TABLE; i++) keys.push(`${table.prefix}k${i}`);
  return keys;
}

/** A write of a commit: a value (`set`) or a tombstone (`unset`, `remove`). */
export interface WorkloadWrite {
  readonly kind: 'set' | 'unset' | 'remove';
  readonly table: WorkloadTable;
  readonly key: string;
}

/** A drop delta of a commit. */
export interface WorkloadDrop {
  readonly kind: 'drop';
  readonly table: WorkloadTable;
  readonly key: string;
  readonly upToVersion: number | undefined;
  readonly keepLastVersions: number | undefined;
}

/** A range drop of a commit: the keys starting with `prefix`, or those in `[start, end)`. */
export interface WorkloadRangeDrop {
  readonly kind: 'drop-range';
  readonly prefix: string | undefined;
  readonly start: string | undefined;
  readonly end: string | undefined;
  readonly upToVersion: number | undefined;
  readonly keepLastVersions: number | undefined;
}

/** Everything commit `version` does. */
export interface WorkloadCommit {
  readonly version: number;
  readonly writes: readonly WorkloadWrite[];
  readonly drops: readonly WorkloadDrop[];
  readonly ranges: readonly WorkloadRangeDrop[];
}

/** Whether `key` is one of the keys a range drop names. */
export function inWorkloadRange(key: string, range: WorkloadRangeDrop): boolean {
  if (range.prefix !== undefined) return key.startsWith(range.prefix);
  return (
    (range.start === undefined || key >= range.start) &&
    (range.end === undefined || key < range.end)
  );
}

/** The crash test's generator: the shared seeded one. */
export { Rng };

/** A 32-bit hash of a string. */
function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The value commit `version` sets `key` to: recomputable from `(seed, version, key)`. */
export function valueFor(seed: number, version: number, key: string): Uint8Array {
  const h = new Rng(seed, version, hashText(key)).uint32();
  return utf8(`${key}@${version}:${h.toString(36)}${'~'.repeat(h % 29)}`);
}

/** The workload's commit at `version`. */
export function workloadCommit(seed: number, version: number): WorkloadCommit {
  const rng = new Rng(seed, version, 0xc0ffee);
  const writes: WorkloadWrite[] = WORKLOAD_TABLES.map((table) => ({
    kind: 'set',
    table,
    key: markerKey(table),
  }));
  const drops: WorkloadDrop[] = markerDrops(version);
  const written = new Set(writes.map((write) => write.key));
  const dropped = new Set(drops.map((drop) => drop.key));
  for (let ops = rng.between(1, 5); ops > 0; ops--) {
    const table = rng.pick(WORKLOAD_TABLES);
    const key = `${table.prefix}k${rng.below(KEYS_PER_TABLE)}`;
    const roll = rng.next();
    if (roll < (table.keep === undefined ? 0.3 : 0.1)) {
      if (dropped.has(key)) continue;
      dropped.add(key);
      drops.push(randomDrop(rng, table, key, version));
    } else if (!written.has(key)) {
      written.add(key);
      const kind = roll < 0.7 ? 'set' : roll < 0.85 ? 'unset' : 'remove';
      writes.push({ kind, table, key });
    }
  }
  // Drawn last, so that the rest of each commit is what it was before range drops.
  const ranges = rng.next() < 1 / 12 ? [randomRange(rng, version)] : [];
  return { version, writes, drops, ranges };
}

/** Prefixes of range drops: one key and the keys after it, a table, two tables, every key. */
const RANGE_PREFIXES = ['h/k1', 'm/', 'r', 'h/', ''];

function randomRange(rng: Rng, version: number): WorkloadRangeDrop {
  const shape = 1 + rng.below(3);
  const upToVersion = shape !== 2 ? Math.max(0, version - rng.below(40)) : undefined;
  const keepLastVersions = shape !== 1 ? 1 + rng.below(4) : undefined;
  const constraints = { upToVersion, keepLastVersions };
  if (rng.next() < 0.5)
    return {
      kind: 'drop-range',
      prefix: rng.pick(RANGE_PREFIXES),
      start: undefined,
      end: undefined,
      ...constraints,
    };
  const table = rng.pick(WORKLOAD_TABLES);
  const [a, b] = [rng.below(KEYS_PER_TABLE), rng.below(KEYS_PER_TABLE)].sort((x, y) => x - y);
  const start = `${table.prefix}k${a}`;
  const end = rng.next() < 0.2 ? undefined : `${table.prefix}k${b}`;
  return { kind: 'drop-range', prefix: undefined, start, end, ...constraints };
}

/** Keep the marker keys of the tables without retention bounded. */
function markerDrops(version: number): WorkloadDrop[] {
  const [multi, history] = WORKLOAD_TABLES as [WorkloadTable, WorkloadTable];
  return [
    {
      kind: 'drop',
      table: multi,
      key: markerKey(multi),
      upToVersion: Math.max(0, version - MARKER_WINDOW),
      keepLastVersions: undefined,
    },
    {
      kind: 'drop',
      table: history,
      key: markerKey(history),
      upToVersion: undefined,
      keepLastVersions: MARKER_WINDOW,
    },
  ];
}

function randomDrop(rng: Rng, table: WorkloadTable, key: string, version: number): WorkloadDrop {
  const shape = rng.below(4);
  const upTo = Math.max(0, version - rng.below(40));
  const keep = rng.below(5);
  return {
    kind: 'drop',
    table,
    key,
    upToVersion: shape === 1 || shape === 3 ? upTo : undefined,
    keepLastVersions: shape === 2 || shape === 3 ? keep : undefined,
  };
}

/** The store deltas of a workload commit. */
export function commitDeltas(seed: number, commit: WorkloadCommit): Delta[] {
  const deltas: Delta[] = [];
  for (const write of commit.writes) {
    if (write.kind === 'remove') deltas.push({ type: 'remove', key: write.key });
    else if (write.kind === 'unset')
      deltas.push({ type: 'unset', key: write.key, value: `old value of ${write.key}` });
    else
      deltas.push({
        type: 'set',
        key: write.key,
        value: valueFor(seed, commit.version, write.key),
      });
  }
  for (const drop of commit.drops) {
    deltas.push({
      type: 'drop',
      key: drop.key,
      ...(drop.upToVersion === undefined ? {} : { upToVersion: drop.upToVersion }),
      ...(drop.keepLastVersions === undefined ? {} : { keepLastVersions: drop.keepLastVersions }),
    });
  }
  for (const range of commit.ranges) {
    const { prefix, start, end, upToVersion, keepLastVersions } = range;
    const constraints = {
      ...(upToVersion === undefined ? {} : { upToVersion }),
      ...(keepLastVersions === undefined ? {} : { keepLastVersions }),
    };
    if (prefix !== undefined) deltas.push({ type: 'drop', prefix, ...constraints });
    else
      deltas.push({ type: 'drop', start, ...(end === undefined ? {} : { end }), ...constraints });
  }
  return deltas;
}

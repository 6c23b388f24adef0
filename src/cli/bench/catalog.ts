/**
 * The implementations a benchmark child can run, and what each one is.
 *
 * Every implementation is measured in its own child process through the
 * same small contract (subject.ts), on the same data. The peers are the
 * well-known engines a user of a versioned key-value store would otherwise
 * pick, each used the best normal way with its normal settings:
 *
 * ```
 *   id                 tier    engine, how versions are kept                     durability
 *   multistore-memory  memory  the store, memory tier                            none (heap)
 *   sorted-btree       memory  B+ tree keyed by (key, version)                   none (heap)
 *   multistore-sqlite  sqlite  the store, SQLite tier (normal locking)           WAL, synchronous=NORMAL
 *   better-sqlite3     sqlite  raw SQLite, the tier's schema and settings        WAL, synchronous=NORMAL
 *   multistore-sqlite-full  the store, SQLite tier, synchronous 'full'       WAL, fsync per commit (W1, W2 only)
 *   multistore-sqlite-group  the same, commits through commitAsync            WAL, fsync per group of commits (W1, W2 only)
 *   multistore-sqlite-exclusive  the store, SQLite tier, locking 'exclusive' WAL, synchronous=NORMAL (W1-W6)
 *   better-sqlite3-exclusive     raw SQLite as the main peer, exclusive      WAL, synchronous=NORMAL (W1-W6)
 *   better-sqlite3-no-index      the main peer without the index by version  WAL, synchronous=NORMAL (W1, W2, W6)
 *   better-sqlite3-group         the main peer grouped as commitAsync does   WAL, fsync per group of commits (W1, W2 only)
 *   lmdb               sqlite  lmdb-js, (key, version) binary keys               durable (sync on commit)
 *   lmdb-nosync        sqlite  the same with noSync                              none (OS buffers)
 *   classic-level      sqlite  LevelDB, (key, version) binary keys               log write, no fsync (default)
 *   hyperbee           sqlite  Hyperbee on Hypercore: its own sequence numbers   its defaults
 *   multistore-postgres postgres the store on PostgreSQL (multistore-kv/postgres) the server's (fsync off
 *   pg                 postgres raw node-postgres, the store's table and statements  in the private cluster)
 * ```
 *
 * Ours comes first in each tier, then the main peer (the ratio of the tier
 * table); the rest are compared through targets (targets.ts) or shown for
 * reference. The peers other than sorted-btree and better-sqlite3 are
 * development dependencies (optional peers of the package): where one cannot
 * be loaded the harness reports it as missing and runs the rest.
 *
 * A subject with no way to do a workload says so here, with the reason the
 * report prints instead of a figure.
 *
 * A variant of ours with other open options is one more id here, listed
 * after the main peer with the workloads its options change (`workloads`),
 * and its open options in the store subject's table of variants
 * (subjects/multistore.ts): `multistore-sqlite-full`, the SQLite tier with
 * `sqlite: { synchronous: 'full' }`, measured on the write workloads W1 and
 * W2 beside the default (no target: the price of an fsync per commit);
 * `multistore-sqlite-group`, the same settings with every commit made
 * through `commitAsync` (group commit: one fsync per group), on W1 and W2,
 * compared with `lmdb` (durable, its commits queued and synced together) by
 * the durable target of targets.ts;
 * `multistore-sqlite-exclusive`, with `sqlite: { locking: 'exclusive' }`,
 * measured on W1-W6 beside `better-sqlite3-exclusive`, the main peer with
 * the same locking (a target of its own: targets.ts). A variant of the main
 * peer is listed the same way (subjects/sqlite.ts): besides the exclusive
 * one, `better-sqlite3-no-index`, the peer without the index by version the
 * change feed needs, on the workloads that write (what the index costs);
 * `better-sqlite3-group`, the peer with `synchronous = FULL` and the writes
 * of one turn in one transaction (bounded as the store's groups), on W1 and
 * W2: what SQLite itself reaches against lmdb, shown beside the durable
 * target (targets.ts), and the peer `multistore-sqlite-group` is divided by
 * there to show what the store costs on top of grouped SQLite.
 * A variant is left out of the other workloads' groups altogether: it could
 * run them, it is just not measured there, which is not what `n/a` says
 * (Hyperbee's W6: the implementation cannot do it).
 *
 * @module
 */

import type { TierId, WorkloadId } from './plan.js';

/** Every implementation a child process can run. */
export const IMPLEMENTATIONS = Object.freeze([
  'multistore-memory',
  'sorted-btree',
  'multistore-sqlite',
  'better-sqlite3',
  'multistore-sqlite-full',
  'multistore-sqlite-group',
  'multistore-sqlite-exclusive',
  'better-sqlite3-exclusive',
  'better-sqlite3-no-index',
  'better-sqlite3-group',
  'lmdb',
  'lmdb-nosync',
  'classic-level',
  'hyperbee',
  'multistore-postgres',
  'pg',
] as const);

/** One implementation id. */
export type ImplId = (typeof IMPLEMENTATIONS)[number];

/** What the report and the planner need to know about an implementation. */
export interface Implementation {
  readonly id: ImplId;
  readonly tier: TierId;
  /** Where its bytes live: the JavaScript heap, files in the child's directory, or a database server. */
  readonly storage: 'heap' | 'files' | 'server';
  /** Workloads it cannot run, and why (reported `n/a`). */
  readonly unsupported?: Readonly<Partial<Record<WorkloadId, string>>>;
  /** The only workloads it is measured on (a variant of ours); absent: every workload. */
  readonly workloads?: readonly WorkloadId[];
}

/** The workloads measured against a peer (not against ourselves: W7, W9, W10). */
const PEER_WORKLOADS = Object.freeze(['W1', 'W2', 'W3', 'W4', 'W5', 'W6'] as const);

const CATALOG: Readonly<Record<ImplId, Implementation>> = Object.freeze({
  'multistore-memory': { id: 'multistore-memory', tier: 'memory', storage: 'heap' },
  'sorted-btree': { id: 'sorted-btree', tier: 'memory', storage: 'heap' },
  'multistore-sqlite': { id: 'multistore-sqlite', tier: 'sqlite', storage: 'files' },
  'better-sqlite3': { id: 'better-sqlite3', tier: 'sqlite', storage: 'files' },
  'multistore-sqlite-full': {
    id: 'multistore-sqlite-full',
    tier: 'sqlite',
    storage: 'files',
    // synchronous 'full' changes commits only.
    workloads: Object.freeze(['W1', 'W2'] as const),
  },
  'multistore-sqlite-group': {
    id: 'multistore-sqlite-group',
    tier: 'sqlite',
    storage: 'files',
    // Grouped commits change commits only.
    workloads: Object.freeze(['W1', 'W2'] as const),
  },
  'multistore-sqlite-exclusive': {
    id: 'multistore-sqlite-exclusive',
    tier: 'sqlite',
    storage: 'files',
    workloads: PEER_WORKLOADS,
  },
  'better-sqlite3-exclusive': {
    id: 'better-sqlite3-exclusive',
    tier: 'sqlite',
    storage: 'files',
    workloads: PEER_WORKLOADS,
  },
  'better-sqlite3-no-index': {
    id: 'better-sqlite3-no-index',
    tier: 'sqlite',
    storage: 'files',
    // The index by version costs the statements that change rows.
    workloads: Object.freeze(['W1', 'W2', 'W6'] as const),
  },
  'better-sqlite3-group': {
    id: 'better-sqlite3-group',
    tier: 'sqlite',
    storage: 'files',
    // Durable, grouped commits change commits only.
    workloads: Object.freeze(['W1', 'W2'] as const),
  },
  lmdb: { id: 'lmdb', tier: 'sqlite', storage: 'files' },
  'lmdb-nosync': { id: 'lmdb-nosync', tier: 'sqlite', storage: 'files' },
  'classic-level': { id: 'classic-level', tier: 'sqlite', storage: 'files' },
  hyperbee: {
    id: 'hyperbee',
    tier: 'sqlite',
    storage: 'files',
    unsupported: {
      W6: 'Hyperbee is append-only: it cannot erase old versions of a key',
    },
  },
  'multistore-postgres': { id: 'multistore-postgres', tier: 'postgres', storage: 'server' },
  pg: { id: 'pg', tier: 'postgres', storage: 'server' },
});

/** The implementations of each tier: ours, the main peer, then the others. */
export const IMPLEMENTATIONS_BY_TIER: Readonly<Record<TierId, readonly ImplId[]>> = Object.freeze({
  memory: ['multistore-memory', 'sorted-btree'],
  sqlite: [
    'multistore-sqlite',
    'better-sqlite3',
    'multistore-sqlite-full',
    'multistore-sqlite-group',
    'multistore-sqlite-exclusive',
    'better-sqlite3-exclusive',
    'better-sqlite3-no-index',
    'better-sqlite3-group',
    'lmdb',
    'lmdb-nosync',
    'classic-level',
    'hyperbee',
  ],
  postgres: ['multistore-postgres', 'pg'],
});

/** The catalog entry of `id`. */
export function implementation(id: ImplId): Implementation {
  return CATALOG[id];
}

/** Whether `id` is measured on `workload` at all (its group lists it, measured or `n/a`). */
export function measuredOn(id: ImplId, workload: WorkloadId): boolean {
  const { workloads } = CATALOG[id];
  return workloads === undefined || workloads.includes(workload);
}

/**
 * What the benchmark measures: workloads, implementations, sizes, targets.
 *
 * The benchmark compares multistore with a peer of the same kind on each
 * tier, with the same data and the same work:
 *
 * ```
 *   tier     ours                 peer              references (no target)
 *   memory   multistore-memory    sorted-btree      -
 *   sqlite   multistore-sqlite    better-sqlite3    lmdb, lmdb-nosync
 * ```
 *
 * The lmdb references run only where lmdb is installed: it is a development
 * dependency of this repository and an optional peer of the package, so the
 * `bench` of an installed package measures the rest without it.
 *
 * W7 is the one workload without a peer: it compares multistore with itself,
 * W2 on a `keepLastVersions: 1` table against W2 on a plain table, so its
 * "peer" slot holds the plain run and its ratio is the price of retention.
 *
 * Sizes all derive from one N (rounded up to a whole number of commits), so
 * the unit test can run every workload with N = 200 and the full run with
 * N = 100,000 through the same code. The one floor: the history data W3-W6
 * read holds at least 1,000 keys (20,000 entries), so that W5 always scans
 * 1,000 consecutive keys.
 *
 * @module
 */

/** The seven workloads of the issue. */
export const WORKLOADS = Object.freeze(['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7'] as const);

/** One workload id. */
export type WorkloadId = (typeof WORKLOADS)[number];

/** The tiers a run can select. */
export const TIERS = Object.freeze(['memory', 'sqlite'] as const);

/** One tier. */
export type TierId = (typeof TIERS)[number];

/** Every implementation a child process can run. */
export const IMPLEMENTATIONS = Object.freeze([
  'multistore-memory',
  'sorted-btree',
  'multistore-sqlite',
  'better-sqlite3',
  'lmdb',
  'lmdb-nosync',
] as const);

/** One implementation id. */
export type ImplId = (typeof IMPLEMENTATIONS)[number];

/** Short descriptions of the workloads, as the table prints them. */
export const WORKLOAD_TITLES: Readonly<Record<WorkloadId, string>> = Object.freeze({
  W1: 'insert',
  W2: 'update',
  W3: 'get latest',
  W4: 'get historical',
  W5: 'scan',
  W6: 'drop',
  W7: 'retention/plain',
});

/** Target ratios of the issue: ours / peer (W7: retention / plain), per tier. */
export const TARGETS: Readonly<Record<WorkloadId, Readonly<Record<TierId, number>>>> =
  Object.freeze({
    W1: { memory: 0.8, sqlite: 0.9 },
    W2: { memory: 1.0, sqlite: 0.9 },
    W3: { memory: 1.0, sqlite: 0.8 },
    W4: { memory: 0.8, sqlite: 0.8 },
    W5: { memory: 0.8, sqlite: 0.8 },
    W6: { memory: 0.5, sqlite: 0.7 },
    W7: { memory: 0.8, sqlite: 0.8 },
  });

/** Fixed shape of the data (the figures). */
export const KEY_BYTES = 16;
export const VALUE_BYTES = 100;
/** Deltas per commit, and writes per peer transaction. */
export const BATCH = 100;
/** Keys of W2 and W7. */
export const UPDATE_KEYS = 1000;
/** Keys per W5 scan (so the history data holds at least this many keys). */
export const SCAN_KEYS = 1000;
/** Versions per key of the data W3-W6 read (W5: "about 20 versions per key"). */
export const HISTORY_DEPTH = 20;
/** Writes per commit when loading that data (untimed, so larger commits only save wall time). */
export const HISTORY_BATCH = 1000;

/** N of `--quick` and of the full run, and their rounds. */
export const QUICK = Object.freeze({ n: 10_000, rounds: 3 });
export const FULL = Object.freeze({ n: 100_000, rounds: 5 });
/** The seed every data set derives from. */
export const DEFAULT_SEED = 0x5eed;

/** Sizes of every data set, derived from N. */
export interface Sizes {
  /** Operations of W1-W4 (writes or gets), a multiple of {@link BATCH}. */
  readonly n: number;
  /** Keys of the history data (W3-W6): 20 versions each, N/20 keys but at least 1,000. */
  readonly historyKeys: number;
  /** Entries of the history data: 20 per key. */
  readonly historyEntries: number;
  /** Writes per commit of the history data: 1,000 (fewer only below 1,000 keys). */
  readonly historyBatch: number;
  /** Versions the history data spans: 1..historyVersions (one commit each). */
  readonly historyVersions: number;
  /** Keys updated round-robin by W2 and W7. */
  readonly updateKeys: number;
  /** Keys per W5 scan, and scans per W5 run. */
  readonly scanKeys: number;
  readonly scans: number;
}

/**
 * Sizes for a given N (at least one commit; whole commits only). `scanKeys`
 * (1,000 as the issue says) is smaller only in the unit test, to keep it fast.
 */
export function sizesFor(requested: number, scanKeys: number = SCAN_KEYS): Sizes {
  const n = Math.max(BATCH, Math.ceil(requested / BATCH) * BATCH);
  const floor = Math.ceil(scanKeys / BATCH) * BATCH;
  const historyKeys = Math.max(
    floor,
    Math.floor(n / HISTORY_DEPTH / HISTORY_BATCH) * HISTORY_BATCH,
  );
  const historyEntries = historyKeys * HISTORY_DEPTH;
  const historyBatch = Math.min(HISTORY_BATCH, historyKeys);
  return Object.freeze({
    n,
    historyKeys,
    historyEntries,
    historyBatch,
    historyVersions: historyEntries / historyBatch,
    updateKeys: Math.min(UPDATE_KEYS, n),
    scanKeys,
    scans: Math.max(1, Math.round(n / scanKeys)),
  });
}

/** Implementations measured against each other for one workload on one tier, ours first. */
export interface Group {
  readonly workload: WorkloadId;
  readonly tier: TierId;
  readonly runs: readonly RunSpec[];
}

/** One implementation's slot in a group. */
export interface RunSpec {
  readonly impl: ImplId;
  /** `ours` and `peer` form the ratio; references are shown only. */
  readonly role: 'ours' | 'peer' | 'reference';
  /** The column label in the table and the JSON. */
  readonly label: string;
  /** W7 only: run on a `keepLastVersions: 1` table. */
  readonly retention: boolean;
}

/** True when the lmdb references can be loaded (lmdb is installed). */
export function referencesInstalled(): boolean {
  try {
    import.meta.resolve('lmdb');
    return true;
  } catch {
    return false;
  }
}

/** Every group of a run over `tiers`, in table order; the lmdb references only `withReferences`. */
export function planGroups(
  tiers: readonly TierId[],
  withReferences = referencesInstalled(),
): Group[] {
  const groups: Group[] = [];
  for (const tier of tiers) {
    for (const workload of WORKLOADS) {
      groups.push({ workload, tier, runs: runsOf(workload, tier, withReferences) });
    }
  }
  return groups;
}

function runsOf(workload: WorkloadId, tier: TierId, withReferences: boolean): RunSpec[] {
  const ours: ImplId = tier === 'memory' ? 'multistore-memory' : 'multistore-sqlite';
  if (workload === 'W7') {
    return [
      { impl: ours, role: 'ours', label: 'retention', retention: true },
      { impl: ours, role: 'peer', label: 'plain', retention: false },
    ];
  }
  const run = (impl: ImplId, role: RunSpec['role']): RunSpec => ({
    impl,
    role,
    label: impl,
    retention: false,
  });
  if (tier === 'memory') return [run(ours, 'ours'), run('sorted-btree', 'peer')];
  const references = withReferences
    ? [run('lmdb', 'reference'), run('lmdb-nosync', 'reference')]
    : [];
  return [run(ours, 'ours'), run('better-sqlite3', 'peer'), ...references];
}

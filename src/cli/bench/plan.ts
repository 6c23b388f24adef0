/**
 * What the benchmark measures: workloads, shapes, tiers, and the groups a
 * run is made of.
 *
 * A group is one workload on one tier and one data shape; its runs are the
 * implementations measured against each other on exactly the same data:
 *
 * ```
 *   tier     ours                 main peer         other peers (catalog.ts)
 *   memory   multistore-memory    sorted-btree      -
 *   sqlite   multistore-sqlite    better-sqlite3    multistore-sqlite-full and
 *                                                    multistore-sqlite-group (W1, W2 only),
 *                                                    multistore-sqlite-exclusive and
 *                                                    better-sqlite3-exclusive (W1-W6),
 *                                                    better-sqlite3-no-index (W1, W2, W6),
 *                                                    better-sqlite3-group (W1, W2 only),
 *                                                    lmdb, lmdb-nosync, classic-level, hyperbee
 *   postgres multistore-postgres  pg                -   (a server the harness starts, or MULTISTORE_PG_URL)
 *
 *   shape    keys x versions per key (sizes.ts)
 *   shallow  N/20 x 20   (at least 1,000 keys)
 *   deep     N/100 x 100 (1,000 x 100 at N = 100,000)
 * ```
 *
 * W7, W9 and W10 have no peer: they compare multistore with itself, so
 * their "peer" slot holds the baseline run and their ratio is the price of
 * the feature measured:
 *
 * ```
 *   W7   retention     W2 on a `keepLastVersions: 1` table   / W2 on a plain table
 *   W9   transactions  read-modify-writes in transactions    / the same in plain commits
 *   W10  contention    the same, 4 transactions at a time
 *                      on a few hot keys, conflicts retried  / the same in plain commits
 * ```
 *
 * Ours and the main peer run every round; the other peers run
 * {@link OTHER_PEER_ROUNDS} unless asked for more (`--other-rounds`): their
 * figures are compared with wide margins (Hyperbee: 2x; lmdb: 0.5x, where
 * the SQLite tier stands far below) or shown for reference, and a Hyperbee
 * child takes about a minute at full size, so five rounds of each of them
 * would more than double the run.
 *
 * @module
 */

import { IMPLEMENTATIONS_BY_TIER, type ImplId, implementation, measuredOn } from './catalog.js';

/** The seven workloads of the issue, and the two of transactions. */
export const WORKLOADS = Object.freeze([
  'W1',
  'W2',
  'W3',
  'W4',
  'W5',
  'W6',
  'W7',
  'W9',
  'W10',
] as const);

/** One workload id. */
export type WorkloadId = (typeof WORKLOADS)[number];

/** The tiers a run can select. */
export const TIERS = Object.freeze(['memory', 'sqlite', 'postgres'] as const);

/** One tier. */
export type TierId = (typeof TIERS)[number];

/** The data shapes every workload runs on (sizes.ts). */
export const SHAPES = Object.freeze(['shallow', 'deep'] as const);

/** One data shape. */
export type ShapeId = (typeof SHAPES)[number];

/** The workloads that compare multistore with itself (no peer; see the module documentation). */
export const SELF_COMPARED: readonly WorkloadId[] = Object.freeze(['W7', 'W9', 'W10']);

/** Short descriptions of the workloads, as the tables print them. */
export const WORKLOAD_TITLES: Readonly<Record<WorkloadId, string>> = Object.freeze({
  W1: 'insert',
  W2: 'update',
  W3: 'get latest',
  W4: 'get historical',
  W5: 'scan',
  W6: 'drop',
  W7: 'retention/plain',
  W9: 'txn/plain',
  W10: 'txn conflicts/plain',
});

/** N of `--quick` and of the full run, and their rounds. */
export const QUICK = Object.freeze({ n: 10_000, rounds: 3 });
export const FULL = Object.freeze({ n: 100_000, rounds: 5 });
/** Default rounds of the implementations other than ours and the main peer. */
export const OTHER_PEER_ROUNDS = 1;
/** The seed every data set derives from. */
export const DEFAULT_SEED = 0x5eed;

/** Implementations measured against each other for one workload, tier and shape, ours first. */
export interface Group {
  readonly workload: WorkloadId;
  readonly tier: TierId;
  readonly shape: ShapeId;
  readonly runs: readonly RunSpec[];
}

/** One implementation's slot in a group. */
export interface RunSpec {
  readonly impl: ImplId;
  /** `ours` over `peer` is the group's ratio; other peers have their own targets or none. */
  readonly role: 'ours' | 'peer' | 'other';
  /** The column label in the tables and the JSON. */
  readonly label: string;
  /** W7 only: run on a `keepLastVersions: 1` table. */
  readonly retention: boolean;
  /** W9, W10 only: read-modify-writes in transactions (else in plain commits). */
  readonly transactional?: boolean;
  /** Rounds this implementation runs (ours and the main peer: all; the others: their own count). */
  readonly rounds: number;
  /** Why this implementation cannot run this workload (then it is reported, not run). */
  readonly unsupported?: string;
}

/** What a run selects. */
export interface Selection {
  readonly tiers: readonly TierId[];
  readonly shapes: readonly ShapeId[];
  readonly workloads: readonly WorkloadId[];
  /** Rounds of ours and the main peer. */
  readonly rounds: number;
  /** Rounds of the other peers. */
  readonly otherRounds: number;
}

/** Every group of a selection, in table order: tier, then workload, then shape. */
export function planGroups(selection: Selection): Group[] {
  const groups: Group[] = [];
  for (const tier of selection.tiers) {
    for (const workload of selection.workloads) {
      for (const shape of selection.shapes) {
        groups.push({ workload, tier, shape, runs: runsOf(workload, tier, selection) });
      }
    }
  }
  return groups;
}

function runsOf(workload: WorkloadId, tier: TierId, selection: Selection): RunSpec[] {
  const { rounds, otherRounds } = selection;
  const [ours, peer, ...others] = IMPLEMENTATIONS_BY_TIER[tier];
  if (ours === undefined || peer === undefined) throw new Error(`no implementations of ${tier}`);
  if (workload === 'W7') {
    return [
      { impl: ours, role: 'ours', label: 'retention', retention: true, rounds },
      { impl: ours, role: 'peer', label: 'plain', retention: false, rounds },
    ];
  }
  if (workload === 'W9' || workload === 'W10') {
    return [
      {
        impl: ours,
        role: 'ours',
        label: 'transactions',
        retention: false,
        transactional: true,
        rounds,
      },
      { impl: ours, role: 'peer', label: 'plain', retention: false, transactional: false, rounds },
    ];
  }
  const run = (impl: ImplId, role: RunSpec['role']): RunSpec => {
    const unsupported = implementation(impl).unsupported?.[workload];
    return {
      impl,
      role,
      label: impl,
      retention: false,
      rounds: role === 'other' ? otherRounds : rounds,
      ...(unsupported !== undefined && { unsupported }),
    };
  };
  const measured = others.filter((impl) => measuredOn(impl, workload));
  return [run(ours, 'ours'), run(peer, 'peer'), ...measured.map((impl) => run(impl, 'other'))];
}

/** Parse `W1,W3` (case-insensitive; `all`) into workload ids, or undefined if one is unknown. */
export function parseWorkloads(text: string): WorkloadId[] | undefined {
  if (text.trim().toLowerCase() === 'all') return [...WORKLOADS];
  const ids = text.split(',').map((part) => part.trim().toUpperCase());
  if (ids.length === 0 || ids.some((id) => !WORKLOADS.includes(id as WorkloadId))) return undefined;
  return WORKLOADS.filter((id) => ids.includes(id));
}

/**
 * What the file may hold after any sequence of crashes: the crash test's model.
 *
 * Commits are atomic and durable once acknowledged, but drops are not: the
 * drop worker applies them later, and a SIGKILL loses every request still in
 * memory. So for each stored `(key, version)` the model knows one of three
 * things:
 *
 * ```
 *   must    written by a commit in the file, and no drop could ever erase it
 *   maybe   written, but some drop request (explicit or retention) may erase it
 *   (none)  never written, or seen erased: finding it stored is an error
 * ```
 *
 * ## When may a drop erase a version? (the rule the checks rely on)
 *
 * Let W be the versions commits 1..c wrote for a key (newest first, pending
 * version c included when commit c wrote the key). A drop request made by
 * commit c (ceiling c; pending version p if c wrote the key) lists the key's
 * stored versions at or below c, which are a subset L of W (earlier drops may
 * or may not have run), and erases a version v only if:
 *
 *   v <= c,  v != p,  v < upToVersion (if given),  index of v in L >= N (if given)
 *
 * Since L is a subset of W, the N-th newest of L is at most the N-th newest of
 * W, so "index >= N in L" implies `v < W[N-1]`; with fewer than N versions in
 * W nothing goes. The model marks exactly the versions meeting this bound as
 * `maybe`, whichever subset L the crash left. The same bound covers the
 * implicit `keepLastVersions` drop of a retention table (pending = c) and the
 * reopen sweep (ceiling = latest at open, no pending: it cannot reach further
 * than the key's last implicit drop did).
 *
 * Consequences the checks use:
 * - a `must` version is always stored with its value; a stored version is
 *   always known with that value; `maybe` versions found missing are forgotten
 *   for good (a drop is final), so finding them again later is an error;
 * - the N newest versions of a retention key are never `maybe`: after the
 *   sweep and a flush, the key holds exactly its min(N, |W|) newest versions
 *   (no explicit drops target retention tables, see workload.ts);
 * - nothing in the sweep touches the tables without retention.
 *
 * @module
 */

import {
  MARKER_WINDOW,
  type WorkloadCommit,
  type WorkloadTable,
  type WorkloadWrite,
  workloadCommit,
} from './workload.js';

/** What the model knows of one stored version. */
export interface ExpectedVersion {
  /** True for `unset` / `remove`. */
  readonly tombstone: boolean;
  /** False once some drop request may have erased it. */
  must: boolean;
}

/** The model's view of one key. */
export class KeyModel {
  /** Versions that may be stored (must or maybe). */
  readonly versions = new Map<number, ExpectedVersion>();
  /** The newest written versions, newest first (erased ones included). */
  readonly recent: number[] = [];

  constructor(
    readonly table: WorkloadTable,
    readonly key: string,
  ) {}

  /** Record a write at `version` (the newest so far). */
  write(version: number, tombstone: boolean): void {
    this.versions.set(version, { tombstone, must: true });
    this.recent.unshift(version);
    if (this.recent.length > RECENT_DEPTH) this.recent.pop();
  }

  /** Mark what one drop request may erase (see the module rule). */
  dropRequest(ceiling: number, request: DropShape): void {
    const { upToVersion, keepLastVersions, pendingVersion } = request;
    const bound = keepBound(this.recent, keepLastVersions);
    for (const [version, expected] of this.versions) {
      if (version > ceiling || version === pendingVersion) continue;
      if (upToVersion !== undefined && version >= upToVersion) continue;
      if (!(version < bound)) continue;
      expected.must = false;
    }
  }

  /** The versions a retention key holds once every drop is applied, newest first. */
  retained(): number[] {
    const keep = this.table.keep ?? Number.POSITIVE_INFINITY;
    return this.recent.slice(0, keep);
  }
}

/** The constraints of a drop request as the model needs them. */
export interface DropShape {
  readonly upToVersion?: number | undefined;
  readonly keepLastVersions?: number | undefined;
  readonly pendingVersion?: number | undefined;
}

/** Deeper than any `keepLastVersions` the workload uses (the marker window is the largest). */
const RECENT_DEPTH = MARKER_WINDOW + 8;

/** Versions strictly below the bound may be erased by a `keepLastVersions` constraint. */
function keepBound(recent: readonly number[], keep: number | undefined): number {
  if (keep === undefined || keep === 0) return Number.POSITIVE_INFINITY;
  return recent[keep - 1] ?? Number.NEGATIVE_INFINITY;
}

/** The model of a whole crash-test file. */
export class CrashModel {
  readonly seed: number;
  /** The highest commit applied (the file's latest version when in sync). */
  version = 0;
  readonly #keys = new Map<string, KeyModel>();

  constructor(seed: number) {
    this.seed = seed;
  }

  /** Apply the workload's commits up to `version` (inclusive). */
  advanceTo(version: number): void {
    while (this.version < version) this.apply(workloadCommit(this.seed, this.version + 1));
  }

  /** Apply one commit (the next version). */
  apply(commit: WorkloadCommit): void {
    const { version } = commit;
    const written = new Set<string>();
    for (const write of commit.writes) {
      this.key(write).write(version, write.kind !== 'set');
      written.add(write.key);
    }
    for (const drop of commit.drops) {
      this.key(drop).dropRequest(version, {
        upToVersion: drop.upToVersion,
        keepLastVersions: drop.keepLastVersions,
        pendingVersion: written.has(drop.key) ? version : undefined,
      });
    }
    for (const write of commit.writes) {
      const keep = write.table.keep;
      if (keep === undefined) continue;
      this.key(write).dropRequest(version, { keepLastVersions: keep, pendingVersion: version });
    }
    this.version = version;
  }

  /** The model of `key` in `table` (created empty on first use). */
  key(target: Pick<WorkloadWrite, 'table' | 'key'>): KeyModel {
    let model = this.#keys.get(target.key);
    if (model === undefined) {
      model = new KeyModel(target.table, target.key);
      this.#keys.set(target.key, model);
    }
    return model;
  }
}

/**
 * What the file may hold after any sequence of crashes: the crash test's model.
 *
 * Commits are atomic and durable once acknowledged, and so are their drop
 * requests (logged with the commit); but the drop worker applies them later,
 * so right after a crash (and a reopen) some acknowledged requests may be
 * applied and others still pending. So for each stored `(key, version)` the
 * model knows one of three things:
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
 * implicit `keepLastVersions` drop of a retention table (no pending version:
 * its commit's own write is the key's newest, which keep N >= 1 never
 * erases).
 *
 * Consequences the checks use:
 * - a `must` version is always stored with its value; a stored version is
 *   always known with that value; `maybe` versions found missing are forgotten
 *   for good (a drop is final), so finding them again later is an error.
 *
 * ## After a flush: exactly every request applied
 *
 * Since no acknowledged request is lost, once the reopened store has flushed,
 * every request of commits 1..c has been applied, and the outcome does not
 * depend on when: the workload's versions only grow, so a request (ceiling c)
 * never judges a later write. The model therefore also keeps, per key, the
 * exact versions left when each request is applied right after its commit
 * ({@link KeyModel.applied}), with the rule written out here on its own:
 * list the versions at or below the ceiling, newest first; erase those below
 * `upToVersion` (if given) whose index is at least `keepLastVersions` (if
 * given), except the request's pending version. After the flush the file
 * must hold exactly these versions: every acknowledged drop applied, nothing
 * else erased.
 *
 * @module
 */

import {
  inWorkloadRange,
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
  /** The versions left once every request so far is applied, newest first. */
  applied: number[] = [];

  constructor(
    readonly table: WorkloadTable,
    readonly key: string,
  ) {}

  /** Record a write at `version` (the newest so far). */
  write(version: number, tombstone: boolean): void {
    this.versions.set(version, { tombstone, must: true });
    this.recent.unshift(version);
    if (this.recent.length > RECENT_DEPTH) this.recent.pop();
    this.applied.unshift(version);
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
    this.#apply(ceiling, request);
  }

  /** Apply one request to {@link applied} (the rule in the module documentation). */
  #apply(ceiling: number, request: DropShape): void {
    const { upToVersion, keepLastVersions, pendingVersion } = request;
    let index = 0;
    this.applied = this.applied.filter((version) => {
      if (version > ceiling) return true;
      const erase =
        version !== pendingVersion &&
        (upToVersion === undefined || version < upToVersion) &&
        (keepLastVersions === undefined || index >= keepLastVersions);
      index++;
      return !erase;
    });
  }

  /** Everything applied (a flush): only the applied versions remain, none erasable by a past request. */
  settle(): void {
    const kept = new Set(this.applied);
    for (const [version, expected] of this.versions) {
      if (kept.has(version)) expected.must = true;
      else this.versions.delete(version);
    }
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
    // A range drop is the per-key drop of every key of its range (README, Range drops).
    for (const range of commit.ranges) {
      for (const model of this.#keys.values()) {
        if (!inWorkloadRange(model.key, range)) continue;
        model.dropRequest(version, {
          upToVersion: range.upToVersion,
          keepLastVersions: range.keepLastVersions,
          pendingVersion: written.has(model.key) ? version : undefined,
        });
      }
    }
    for (const write of commit.writes) {
      const keep = write.table.keep;
      if (keep === undefined) continue;
      // Retention keeps the N highest versions: no pending version (README, Drops).
      this.key(write).dropRequest(version, { keepLastVersions: keep });
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

/**
 * The version oracle: which version a commit takes.
 *
 * A commit either names its version (an explicit commit: imports,
 * replication) or lets the store choose (an automatic commit). The oracle
 * remembers the highest version ever committed, explicit commits included, and
 * an automatic commit takes the one after it; versions therefore only grow and
 * an automatic commit never lands in the past:
 *
 * ```
 *   committed:  1   2        100 (explicit)            latest = 100
 *   automatic commit ──────────────────► 101
 *   empty automatic commit ─────────────► no version (latest stays 100)
 *   explicit commit at 7, a snapshot open at 9 ──► SNAPSHOT_VIOLATION
 *   explicit commit at 50, snapshots open at 3 and 9 ──► ok (lands in history)
 * ```
 *
 * An explicit commit at or below the version of an open snapshot would change
 * what that snapshot reads (or hide from conflict detection a write the
 * snapshot's transaction must see), so it is refused; the caller passes the
 * highest version any open snapshot reads at or began at (see
 * `SnapshotRegistry.highestOpen`). An explicit commit always takes its version,
 * even when it writes nothing: that is how a replica records a primary's
 * data-less commit.
 *
 * The oracle does no I/O and holds one number. It assumes its caller runs
 * commits one at a time between {@link VersionOracle.versionFor} and
 * {@link VersionOracle.record} (the embedded store is synchronous; an async
 * store serializes that section).
 *
 * @module
 */

import { InvalidInputError, SnapshotViolationError } from '../common/errors.js';
import { checkVersion, MAX_VERSION } from '../common/version.js';

/** What a commit asks of the oracle. */
export interface VersionRequest {
  /** The version the caller names, if any (validated here). */
  readonly explicit?: number | undefined;
  /** True when the commit writes nothing (no write, no drop). */
  readonly empty: boolean;
  /**
   * The highest version an open snapshot reads at or began at, the committing
   * transaction's own snapshot excluded; `undefined` when none is open.
   */
  readonly highestOpen?: number | undefined;
}

/** Chooses commit versions; see the module documentation. */
export class VersionOracle {
  #latest: number;

  /** An oracle whose highest committed version is `latest` (0 for a new store). */
  constructor(latest: number) {
    this.#latest = checkVersion(latest, 'latest version');
  }

  /** The highest version ever committed (explicit commits included). */
  get latest(): number {
    return this.#latest;
  }

  /** The version an automatic commit would take now. */
  next(): number {
    if (this.#latest >= MAX_VERSION) {
      throw new InvalidInputError('INVALID_VERSION', `no version is left above ${this.#latest}`);
    }
    return this.#latest + 1;
  }

  /**
   * The version a commit takes, or `undefined` for an empty automatic commit
   * (it takes none). Throws `INVALID_VERSION` for a bad explicit version and
   * `SNAPSHOT_VIOLATION` when it is at or below `highestOpen`. Does not record
   * anything: call {@link record} once the commit is written.
   */
  versionFor(request: VersionRequest): number | undefined {
    if (request.explicit === undefined) return request.empty ? undefined : this.next();
    const version = checkVersion(request.explicit);
    const open = request.highestOpen;
    if (open !== undefined && version <= open) throw new SnapshotViolationError(version, open);
    return version;
  }

  /** A commit at `version` was written: raise the latest version if it is higher. */
  record(version: number): void {
    if (version > this.#latest) this.#latest = version;
  }
}

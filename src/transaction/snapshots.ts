/**
 * The snapshot registry: which versions open readers still need.
 *
 * Every reader that must see one stable state registers a *lease* while it
 * runs: a transaction (from `begin` to commit or rollback), a range iterator
 * (while it iterates), a commit in progress (while it writes). A lease has a
 * read *version* (what it reads; a transaction may move it) and, for a
 * read-write transaction, a *base* (the version it began at, which conflict
 * detection judges against):
 *
 * ```
 *   leases:     tx1 v3 (base 3)   range v7   tx2 v7 (base 9, moved back to 7)   tx3 v12
 *
 *   watermark()        = 3    oldest version read: drops must not erase what it sees
 *   atOrAbove(5)       = 7    the first reader at or above 5 (drop planning)
 *   highestOpen()      = 12   an explicit commit must land above this
 *   oldestBase()       = 3    conflict tracking keeps commits above this
 * ```
 *
 * ## Forgotten leases
 *
 * A lease left open pins history forever, so three things end it besides its
 * owner closing it: a `maxAgeMs` (a lease older than that is released when the
 * registry next looks, or when its owner next uses it, and its owner's
 * operations then fail with `TRANSACTION_TOO_OLD`); garbage collection (a lease
 * opened with an `owner` object is released, with a warning in the log, if the
 * owner is collected while the lease is open); and {@link SnapshotRegistry.closeAll}
 * when the store closes. The lease never references its owner, so the registry
 * does not keep the owner alive.
 *
 * The registry does no I/O. Time comes from an injected clock; the store
 * passes its own (a `MockClock` in tests).
 *
 * @module
 */

import { describe } from '../common/bytes.js';
import {
  InvalidInputError,
  TransactionClosedError,
  TransactionTooOldError,
} from '../common/errors.js';
import { type Logger, silentLogger } from '../common/logger.js';
import { checkVersion } from '../common/version.js';
import { CountedVersions } from './counted-versions.js';

/** Milliseconds now; the runtime's `Clock` and `MockClock` qualify. */
export interface TimeSource {
  nowMillis(): number;
}

/** What opens a lease. */
export type LeaseKind = 'transaction' | 'range' | 'commit';

/** Why a lease ended. */
export type ReleaseReason = 'closed' | 'expired' | 'collected' | 'shutdown';

/** How to open a lease. */
export interface LeaseOptions {
  /** The version it reads at. */
  readonly version: number;
  /** For a read-write transaction, the version conflicts are judged from (default: none). */
  readonly base?: number | undefined;
  /** Released once older than this (milliseconds, > 0). */
  readonly maxAgeMs?: number | undefined;
  /** Released if this object is garbage-collected while the lease is open. */
  readonly owner?: object | undefined;
  /** What holds it, for statistics and logs (default `transaction`). */
  readonly kind?: LeaseKind | undefined;
}

/** A lease as `list()` reports it. */
export interface LeaseInfo {
  readonly id: number;
  readonly kind: LeaseKind;
  readonly version: number;
  readonly base: number | undefined;
  readonly ageMs: number;
}

/** Watches owners for garbage collection (a `FinalizationRegistry` by default). */
export interface Finalizer {
  register(owner: object, leaseId: number, token: object): void;
  unregister(token: object): void;
}

/** Builds the {@link Finalizer}; `collected` is called with the lease id of a collected owner. */
export type FinalizerFactory = (collected: (leaseId: number) => void) => Finalizer;

/** How the registry is built. */
export interface RegistryOptions {
  readonly clock: TimeSource;
  readonly logger?: Logger | undefined;
  /** Called after a lease ends, whatever the reason (the store wakes parked drops). */
  readonly onRelease?: ((lease: SnapshotLease, reason: ReleaseReason) => void) | undefined;
  /** Replaces the `FinalizationRegistry` (tests). */
  readonly finalizer?: FinalizerFactory | undefined;
}

const defaultFinalizer: FinalizerFactory = (collected) => {
  const registry = new FinalizationRegistry<number>(collected);
  return {
    register: (owner, leaseId, token) => registry.register(owner, leaseId, token),
    unregister: (token) => {
      registry.unregister(token);
    },
  };
};

/** The mutable state of a lease, kept by the registry. */
interface LeaseState {
  version: number;
  base: number | undefined;
  released: ReleaseReason | undefined;
}

/** One open (or ended) snapshot; its state changes only through its registry. */
export class SnapshotLease {
  readonly id: number;
  readonly kind: LeaseKind;
  /** When it was opened, in the registry clock's milliseconds. */
  readonly openedAt: number;
  readonly maxAgeMs: number | undefined;
  readonly #state: Readonly<LeaseState>;

  /** Leases are made by {@link SnapshotRegistry.open}. */
  constructor(
    id: number,
    kind: LeaseKind,
    openedAt: number,
    maxAgeMs: number | undefined,
    state: Readonly<LeaseState>,
  ) {
    this.id = id;
    this.kind = kind;
    this.openedAt = openedAt;
    this.maxAgeMs = maxAgeMs;
    this.#state = state;
  }

  /** The version it reads at. */
  get version(): number {
    return this.#state.version;
  }

  /** The version its transaction began at (read-write transactions), else `undefined`. */
  get base(): number | undefined {
    return this.#state.base;
  }

  /** True until it is closed or released. */
  get open(): boolean {
    return this.#state.released === undefined;
  }

  /** Why it ended, once it has. */
  get releaseReason(): ReleaseReason | undefined {
    return this.#state.released;
  }

  /** The highest version it holds explicit commits above: its read version or its base. */
  get high(): number {
    const { version, base } = this.#state;
    return base === undefined || base < version ? version : base;
  }
}

/** Tracks open leases; see the module documentation. */
export class SnapshotRegistry {
  readonly #clock: TimeSource;
  readonly #logger: Logger;
  readonly #onRelease: RegistryOptions['onRelease'];
  readonly #finalizer: Finalizer;
  readonly #leases = new Map<number, SnapshotLease>();
  readonly #states = new WeakMap<SnapshotLease, LeaseState>();
  readonly #reads = new CountedVersions();
  readonly #highs = new CountedVersions();
  readonly #bases = new CountedVersions();
  /** Leases with a maxAgeMs, ascending by deadline. */
  readonly #deadlines: SnapshotLease[] = [];
  #nextId = 1;

  constructor(options: RegistryOptions) {
    this.#clock = options.clock;
    this.#logger = options.logger ?? silentLogger;
    this.#onRelease = options.onRelease;
    this.#finalizer = (options.finalizer ?? defaultFinalizer)((id) => this.#collected(id));
  }

  /** Open a lease. Throws `INVALID_VERSION` / `INVALID_ARGUMENT` on bad options. */
  open(options: LeaseOptions): SnapshotLease {
    checkVersion(options.version);
    if (options.base !== undefined) checkVersion(options.base, 'base version');
    checkMaxAge(options.maxAgeMs);
    const state: LeaseState = { version: options.version, base: options.base, released: undefined };
    const lease = new SnapshotLease(
      this.#nextId++,
      options.kind ?? 'transaction',
      this.#clock.nowMillis(),
      options.maxAgeMs,
      state,
    );
    this.#states.set(lease, state);
    this.#leases.set(lease.id, lease);
    this.#count(lease, 1);
    if (lease.maxAgeMs !== undefined) insertByDeadline(this.#deadlines, lease);
    if (options.owner !== undefined) this.#finalizer.register(options.owner, lease.id, lease);
    return lease;
  }

  /**
   * Move an open lease's read version (a transaction reading as of another
   * version). Protection starts now: history erased before the move stays
   * erased, and reads there fail with `VERSION_TOO_OLD`.
   */
  move(lease: SnapshotLease, version: number): void {
    this.assertUsable(lease);
    checkVersion(version);
    this.#count(lease, -1);
    this.#state(lease).version = version;
    this.#count(lease, 1);
  }

  /**
   * Throw if `lease` can no longer be used: `TRANSACTION_TOO_OLD` once it is
   * older than its maxAgeMs (releasing it), `TRANSACTION_CLOSED` once released
   * for another reason.
   */
  assertUsable(lease: SnapshotLease): void {
    this.#state(lease); // a lease of this registry
    if (lease.open && this.#isExpired(lease, this.#clock.nowMillis())) {
      this.#release(lease, 'expired');
    }
    const reason = lease.releaseReason;
    if (reason === undefined) return;
    if (reason === 'expired') {
      const ageMs = this.#clock.nowMillis() - lease.openedAt;
      throw new TransactionTooOldError(ageMs, lease.maxAgeMs as number);
    }
    throw new TransactionClosedError('released');
  }

  /**
   * The milliseconds `lease` has left before its maxAgeMs passes (`undefined`
   * without one): a lease opened with this `maxAgeMs` expires with it.
   */
  remainingMs(lease: SnapshotLease): number | undefined {
    if (lease.maxAgeMs === undefined) return undefined;
    // At its deadline a lease is not yet expired (it expires once the clock
    // is past it): the smallest positive age, not 0, which is no maxAgeMs.
    return Math.max(deadlineOf(lease) - this.#clock.nowMillis(), Number.MIN_VALUE);
  }

  /**
   * True when `lease` is older than its maxAgeMs, released or not yet (a
   * pure look: it releases nothing, so it runs no release callback).
   */
  isExpired(lease: SnapshotLease): boolean {
    if (lease.releaseReason === 'expired') return true;
    return lease.open && this.#isExpired(lease, this.#clock.nowMillis());
  }

  /** Close a lease (its owner is done). Closing twice, or after a release, is harmless. */
  close(lease: SnapshotLease): void {
    if (lease.open) this.#release(lease, 'closed');
  }

  /** Release every open lease (the store is closing). */
  closeAll(): void {
    for (const lease of [...this.#leases.values()]) this.#release(lease, 'shutdown');
  }

  /** Release the leases older than their maxAgeMs; returns how many were released. */
  expire(): number {
    // No lease with a maxAgeMs (the common case): no clock to read.
    if (this.#deadlines.length === 0) return 0;
    const now = this.#clock.nowMillis();
    let released = 0;
    for (;;) {
      const first = this.#deadlines[0];
      if (first === undefined || !this.#isExpired(first, now)) return released;
      this.#release(first, 'expired');
      released++;
    }
  }

  /**
   * When the next lease with a maxAgeMs becomes too old (clock milliseconds:
   * it expires once the clock is past this), or `undefined` when none has one.
   */
  nextDeadline(): number | undefined {
    const first = this.#deadlines[0];
    return first === undefined ? undefined : deadlineOf(first);
  }

  /**
   * The watermark without releasing the expired leases first (one not yet
   * released still counts): for the commit path, which must not run what a
   * release sets off (parked drops, listeners) midway through a commit.
   */
  heldWatermark(): number | undefined {
    return this.#reads.lowest();
  }

  /** The oldest version an open lease reads at (the drop watermark), or `undefined`. */
  watermark(): number | undefined {
    this.expire();
    return this.#reads.lowest();
  }

  /** The lowest version at or above `version` that an open lease reads at, or `undefined`. */
  atOrAbove(version: number): number | undefined {
    this.expire();
    return this.#reads.atOrAbove(version);
  }

  /**
   * The highest version an open lease reads at or began at, leaving out
   * `except` (the committing transaction's own lease); `undefined` when none.
   * An explicit commit must land above it.
   */
  highestOpen(except?: SnapshotLease): number | undefined {
    this.expire();
    const highest = this.#highs.highest();
    if (except === undefined || !except.open || highest !== except.high) return highest;
    return this.#highs.count(highest) > 1 ? highest : this.#highs.below(highest);
  }

  /** The lowest base of the open read-write transactions, or `undefined`. */
  oldestBase(): number | undefined {
    this.expire();
    return this.#bases.lowest();
  }

  /** Number of open leases (after releasing the expired ones). */
  get size(): number {
    this.expire();
    return this.#leases.size;
  }

  /** The open leases, oldest first (for statistics). */
  list(): LeaseInfo[] {
    this.expire();
    const now = this.#clock.nowMillis();
    return [...this.#leases.values()].map((lease) => ({
      id: lease.id,
      kind: lease.kind,
      version: lease.version,
      base: lease.base,
      ageMs: now - lease.openedAt,
    }));
  }

  #state(lease: SnapshotLease): LeaseState {
    const state = this.#states.get(lease);
    if (state === undefined)
      throw new InvalidInputError('INVALID_ARGUMENT', 'the lease belongs to another registry');
    return state;
  }

  #isExpired(lease: SnapshotLease, now: number): boolean {
    return lease.maxAgeMs !== undefined && now - lease.openedAt > lease.maxAgeMs;
  }

  #count(lease: SnapshotLease, delta: 1 | -1): void {
    const change = (set: CountedVersions, version: number) =>
      delta === 1 ? set.add(version) : set.delete(version);
    change(this.#reads, lease.version);
    change(this.#highs, lease.high);
    if (lease.base !== undefined) change(this.#bases, lease.base);
  }

  #release(lease: SnapshotLease, reason: ReleaseReason): void {
    const state = this.#state(lease);
    if (state.released !== undefined) return;
    this.#leases.delete(lease.id);
    this.#count(lease, -1);
    state.released = reason;
    if (lease.maxAgeMs !== undefined) removeByDeadline(this.#deadlines, lease);
    this.#finalizer.unregister(lease);
    this.#onRelease?.(lease, reason);
  }

  #collected(id: number): void {
    const lease = this.#leases.get(id);
    if (lease === undefined) return;
    this.#logger.warn(
      `${HOLDERS[lease.kind]} was garbage-collected while open; its snapshot is released`,
      {
        lease: id,
        kind: lease.kind,
        version: lease.version,
        ageMs: this.#clock.nowMillis() - lease.openedAt,
      },
    );
    this.#release(lease, 'collected');
  }
}

/** What holds a lease of each kind, as log messages name it. */
const HOLDERS: Readonly<Record<LeaseKind, string>> = {
  transaction: 'a transaction',
  range: 'a range iterator',
  commit: 'a commit',
};

function checkMaxAge(maxAgeMs: unknown): void {
  if (maxAgeMs === undefined) return;
  if (typeof maxAgeMs === 'number' && Number.isFinite(maxAgeMs) && maxAgeMs > 0) return;
  throw new InvalidInputError(
    'INVALID_ARGUMENT',
    `maxAgeMs must be a positive number of milliseconds, got ${describe(maxAgeMs)}`,
  );
}

function deadlineOf(lease: SnapshotLease): number {
  return lease.openedAt + (lease.maxAgeMs as number);
}

/** Position of `lease` by (deadline, id) in `leases`. */
function searchDeadline(leases: readonly SnapshotLease[], lease: SnapshotLease): number {
  const deadline = deadlineOf(lease);
  let low = 0;
  let high = leases.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const other = leases[middle] as SnapshotLease;
    const before =
      deadlineOf(other) < deadline || (deadlineOf(other) === deadline && other.id < lease.id);
    if (before) low = middle + 1;
    else high = middle;
  }
  return low;
}

function insertByDeadline(leases: SnapshotLease[], lease: SnapshotLease): void {
  leases.splice(searchDeadline(leases, lease), 0, lease);
}

function removeByDeadline(leases: SnapshotLease[], lease: SnapshotLease): void {
  const at = searchDeadline(leases, lease);
  if (leases[at] === lease) leases.splice(at, 1);
}

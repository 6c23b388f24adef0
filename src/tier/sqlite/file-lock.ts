/**
 * One writer per SQLite file; readers are free unless the writer asked for
 * exclusive locking.
 *
 * A writing store keeps state beside its file (the latest version, the
 * statistics in memory, the drop worker's queue). Two stores writing one file
 * would each keep their own and drift apart, so a file has at most one
 * writer at a time. Readers (read-only opens) take no lock at all: SQLite's
 * WAL mode lets them read beside the writer.
 *
 * ```
 *   writer open:  claim the canonical path in this process   (else STORE_LOCKED, 'this process')
 *                   exclusive locking: no reader of this process may have it open
 *                                                            (else STORE_LOCKED 'readers', 'this process')
 *                 lock "<file>-lock" against other processes  (else STORE_LOCKED, 'another process')
 *                 open the database itself                    (normal or exclusive locking, WAL)
 *   writer close: close the database, unlock, unclaim
 *   reader open:  no writer of this process holds it with exclusive locking
 *                                                            (else STORE_LOCKED 'exclusive writer')
 *                 count it among the path's readers; uncount it at close
 * ```
 *
 * Within this process a registry of canonical paths (symlinks and relative
 * paths resolved) refuses a second writer. Across processes the writer holds
 * an exclusive transaction on a small companion file, `<canonical path>-lock`
 * (an empty SQLite database, never written): SQLite takes it with a POSIX
 * lock, which the kernel releases when the process ends, however it ends, so
 * a crash never leaves a stale lock. A file written by an older multistore
 * that held the database itself in exclusive mode still refuses a second
 * writer: SQLite then reports the database busy (`isBusy`).
 *
 * A writer with exclusive locking holds the database file's own lock until
 * it closes (load.ts), so SQLite itself refuses every other connection, a
 * reader of another process included: that reader's first read finds the
 * file busy, and once the busy timeout has run out the tier reports it as
 * `STORE_LOCKED` (`exclusive writer`). Within this process the registry
 * answers at once, without waiting for a timeout, both ways: a reader is
 * refused while an exclusive writer of this process holds the file, and an
 * exclusive writer while readers of this process have it open (a reader
 * holds SQLite's shared lock from its first read to its close, so the
 * writer could not take the file's lock anyway).
 *
 * @module
 */

import { StoreLockedError, TierIoError } from '../../common/errors.js';
import { type Connection, type Locking, loadDriver } from './load.js';
import { nodeBuiltin } from './node-builtins.js';

/** The files a writer of this process holds, by canonical path, with its locking mode. */
const writers = new Map<string, Locking>();
/** How many read-only tiers of this process have each file open, by canonical path. */
const readers = new Map<string, number>();

/** The suffix of the companion file a writer locks. */
export const LOCK_SUFFIX = '-lock';

/** Symlinks followed before giving up on a path (Linux's own limit). */
const MAX_LINK_HOPS = 40;

/**
 * The path with symlinks and `..` resolved, also for a file that does not
 * exist yet. Such a path may be a symlink to where the file will be created
 * (SQLite follows it and creates the file there): it is followed too, so that
 * opening the link and, later, the file it created claim the same path.
 */
export function canonicalPath(path: string): string {
  const { readlinkSync, realpathSync } = nodeBuiltin('node:fs');
  const { basename, dirname, join, resolve } = nodeBuiltin('node:path');
  let current = resolve(path);
  for (let hops = 0; hops < MAX_LINK_HOPS; hops++) {
    try {
      return realpathSync(current);
    } catch {
      try {
        current = resolve(dirname(current), readlinkSync(current));
      } catch {
        break; // Not a link: the file does not exist yet.
      }
    }
  }
  try {
    return join(realpathSync(dirname(current)), basename(current));
  } catch {
    return current;
  }
}

/** A claim on a file: release it once the database is closed. */
export interface FileClaim {
  readonly canonical: string;
  release(): void;
}

/** The writer's claim on a file. */
export type WriterClaim = FileClaim;

/**
 * Claim `path` for writing, in this process and against other processes;
 * throws `STORE_LOCKED` when another writer has it, or, for exclusive
 * locking, when a reader of this process has it open.
 */
export function claimWriter(path: string, locking: Locking = 'normal'): WriterClaim {
  const canonical = canonicalPath(path);
  if (writers.has(canonical)) throw new StoreLockedError(path, 'this process');
  if (locking === 'exclusive' && readers.has(canonical)) {
    throw new StoreLockedError(path, 'this process', { conflict: 'readers' });
  }
  writers.set(canonical, locking);
  let lock: Connection | undefined;
  try {
    lock = lockAgainstProcesses(path, canonical);
  } catch (error) {
    writers.delete(canonical);
    throw error;
  }
  return once(canonical, () => {
    try {
      lock?.close();
    } finally {
      writers.delete(canonical);
    }
  });
}

/**
 * Count a read-only open of `path` among its readers in this process;
 * throws `STORE_LOCKED` (`exclusive writer`) when a writer of this process
 * holds it with exclusive locking.
 */
export function claimReader(path: string): FileClaim {
  const canonical = canonicalPath(path);
  if (writers.get(canonical) === 'exclusive') {
    throw new StoreLockedError(path, 'this process', { conflict: 'exclusive writer' });
  }
  readers.set(canonical, (readers.get(canonical) ?? 0) + 1);
  return once(canonical, () => {
    const left = (readers.get(canonical) ?? 1) - 1;
    if (left > 0) readers.set(canonical, left);
    else readers.delete(canonical);
  });
}

/** A claim whose `release` runs `release` the first time only. */
function once(canonical: string, release: () => void): FileClaim {
  let released = false;
  return {
    canonical,
    release(): void {
      if (released) return;
      released = true;
      release();
    },
  };
}

/** Hold an exclusive transaction on the companion lock file (never committed). */
function lockAgainstProcesses(path: string, canonical: string): Connection {
  const Driver = loadDriver();
  const lockPath = `${canonical}${LOCK_SUFFIX}`;
  let lock: Connection | undefined;
  try {
    lock = new Driver(lockPath, { timeout: 0 });
    lock.exec('BEGIN EXCLUSIVE');
    return lock;
  } catch (error) {
    lock?.close();
    if (isBusy(error)) throw lockedElsewhere(path, error);
    const reason = error instanceof Error ? error.message : String(error);
    throw new TierIoError(`cannot take the writer lock ${lockPath}: ${reason}`, error);
  }
}

/**
 * The error for a file that SQLite found busy on opening it: held by a
 * writer of another process (a second writer), by an exclusive writer (a
 * reader), or by other connections (a writer asking for exclusive locking).
 */
export function lockedElsewhere(
  path: string,
  cause: unknown,
  opener: 'writer' | 'exclusive writer' | 'reader' = 'writer',
): StoreLockedError {
  const conflict =
    opener === 'reader' ? 'exclusive writer' : opener === 'exclusive writer' ? 'readers' : 'writer';
  return new StoreLockedError(path, 'another process', { cause, conflict });
}

/** True when `error` is SQLite saying the database is locked by someone else. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/**
 * One writer per SQLite file; readers are free.
 *
 * A writing store keeps state beside its file (the latest version, the
 * statistics in memory, the drop worker's queue). Two stores writing one file
 * would each keep their own and drift apart, so a file has at most one
 * writer at a time. Readers (read-only opens) take no lock at all: SQLite's
 * WAL mode lets them read beside the writer.
 *
 * ```
 *   writer open:  claim the canonical path in this process   (else STORE_LOCKED, 'this process')
 *                 lock "<file>-lock" against other processes  (else STORE_LOCKED, 'another process')
 *                 open the database itself                    (normal locking, WAL)
 *   writer close: close the database, unlock, unclaim
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
 * @module
 */

import { StoreLockedError, TierIoError } from '../../common/errors.js';
import { type Connection, loadDriver } from './load.js';
import { nodeBuiltin } from './node-builtins.js';

const openFiles = new Set<string>();

/** The suffix of the companion file a writer locks. */
export const LOCK_SUFFIX = '-lock';

/** The path with symlinks and `..` resolved, also for a file that does not exist yet. */
export function canonicalPath(path: string): string {
  const { realpathSync } = nodeBuiltin('node:fs');
  const { basename, dirname, join, resolve } = nodeBuiltin('node:path');
  try {
    return realpathSync(path);
  } catch {
    try {
      return join(realpathSync(dirname(path)), basename(path));
    } catch {
      return resolve(path);
    }
  }
}

/** The writer's claim on a file: release it once the database is closed. */
export interface WriterClaim {
  readonly canonical: string;
  release(): void;
}

/**
 * Claim `path` for writing, in this process and against other processes;
 * throws `STORE_LOCKED` (with the holder) when another writer has it.
 */
export function claimWriter(path: string): WriterClaim {
  const canonical = canonicalPath(path);
  if (openFiles.has(canonical)) throw new StoreLockedError(path, 'this process');
  openFiles.add(canonical);
  let lock: Connection | undefined;
  try {
    lock = lockAgainstProcesses(path, canonical);
  } catch (error) {
    openFiles.delete(canonical);
    throw error;
  }
  let released = false;
  return {
    canonical,
    release(): void {
      if (released) return;
      released = true;
      try {
        lock?.close();
      } finally {
        openFiles.delete(canonical);
      }
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

/** The error for a file that another process holds. */
export function lockedElsewhere(path: string, cause: unknown): StoreLockedError {
  return new StoreLockedError(path, 'another process', { cause });
}

/** True when `error` is SQLite saying the database is locked by someone else. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

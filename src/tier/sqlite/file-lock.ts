/**
 * One open store per SQLite file.
 *
 * A store keeps state beside its file (the latest version, the statistics
 * figures, the drop worker's queue). Two stores writing one file would each
 * keep their own and drift apart, so a file can be open only once at a time:
 *
 * - within this process, a registry of canonical paths (symlinks and relative
 *   paths resolved) refuses a second open with `STORE_LOCKED`;
 * - across processes, the connection runs in SQLite's exclusive locking mode,
 *   so another process's open finds the file busy, also `STORE_LOCKED`.
 *
 * Closing the tier (or the process ending, even by a crash) releases both.
 *
 * @module
 */

import { StoreLockedError } from '../../common/errors.js';
import { nodeBuiltin } from './node-builtins.js';

const openFiles = new Set<string>();

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

/** Claim `path` for this process; throws `STORE_LOCKED` when it is already claimed. */
export function claimFile(path: string): string {
  const canonical = canonicalPath(path);
  if (openFiles.has(canonical)) throw new StoreLockedError(path, 'this process');
  openFiles.add(canonical);
  return canonical;
}

/** Give a claimed path back. */
export function releaseFile(canonical: string): void {
  openFiles.delete(canonical);
}

/** The error for a file that another process holds (SQLite reported it busy). */
export function lockedElsewhere(path: string, cause: unknown): StoreLockedError {
  return new StoreLockedError(path, 'another process', { cause });
}

/** True when `error` is SQLite saying the database is locked by someone else. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

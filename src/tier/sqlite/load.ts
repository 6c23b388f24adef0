/**
 * Opening a SQLite connection, loading the native driver only when needed.
 *
 * better-sqlite3 is a native module. It is loaded with `createRequire` the
 * first time a SQLite tier is opened, so that importing the tier layer (or
 * running on the memory tier alone) never loads it, nor any Node built-in
 * (node-builtins.ts).
 *
 * A file database runs in WAL mode with SQLite's normal locking, so that
 * readers (read-only connections, in this process or others) read beside the
 * one writer: a commit appends to the write-ahead log, readers see the last
 * commit before they started reading and never block it. A writer may ask
 * for exclusive locking instead (`locking: 'exclusive'`): it then holds the
 * database file's lock from its first read to its close, admits no other
 * connection, and keeps the WAL index in its own heap instead of the shared
 * memory file (`-shm`) every transaction otherwise goes through, which makes
 * its many small read transactions cheaper:
 *
 * ```
 *   locking     WAL index               other connections      each transaction
 *   normal      shared memory (-shm)    readers beside it      locks and reads the shared index
 *   exclusive   the writer's heap       none (SQLITE_BUSY)     nothing to lock or map
 * ```
 *
 * SQLite decides where the WAL index lives when the connection first opens
 * the WAL (its first read of a file already in WAL mode, or the switch to
 * WAL of a new one), so `locking_mode = EXCLUSIVE` is set first thing on the
 * connection, before the format check reads the file; set later it would
 * leave the index in shared memory. The writer's `synchronous` setting
 * decides what a power loss can take (README, "Durability"):
 *
 * ```
 *   synchronous   a commit returns after            survives a killed   survives power loss
 *   normal        its WAL append (no fsync)         process: yes        up to the last checkpoint
 *   full          its WAL append and an fsync       yes                 yes
 * ```
 *
 * A checkpoint (the WAL copied back into the database, and synced) runs once
 * the WAL holds {@link WAL_CHECKPOINT_PAGES} pages, not SQLite's default
 * 1,000: measured, checkpoints were the largest cost of a stream of commits
 * of random keys (fsync and per-transaction costs were small), and a longer
 * WAL copies a page rewritten by several commits only once. The WAL grows to
 * about 40 MB (4 KB pages) between checkpoints. SQLite then writes it again
 * from its start and keeps the file at its largest size: a WAL that grew far
 * past that behind a reader's long read (a checkpoint cannot go past what a
 * reader still reads) would keep its disk until the writer closes, so the
 * file is cut back to {@link WAL_SIZE_LIMIT_BYTES} when the WAL starts over.
 * The writer checkpoints when it closes, read-only connections beside it or
 * not (sqlite-tier.ts); the last connection to close removes the WAL.
 *
 * Only one writer may open a file; that is decided before the connection is
 * opened (file-lock.ts). `:memory:` has no journal to tune.
 *
 * better-sqlite3 is an optional dependency: a memory-only install may leave
 * it out (`--omit=optional`, or a failed native build, which npm skips for an
 * optional dependency). Then opening a SQLite tier fails with a `TIER_IO`
 * that says how to install it, and nothing else changes. Other errors are
 * not translated here; the tier wraps them as `TIER_IO`.
 *
 * @module
 */

import type Database from 'better-sqlite3';
import { TierIoError } from '../../common/errors.js';
import { nodeBuiltin } from './node-builtins.js';

/** An open better-sqlite3 connection. */
export type Connection = Database.Database;

/** A prepared better-sqlite3 statement. */
export type Statement = Database.Statement<unknown[], unknown>;

/** WAL pages that trigger an automatic checkpoint (SQLite's default: 1,000). */
export const WAL_CHECKPOINT_PAGES = 10_000;

/**
 * Bytes the WAL file is cut back to when it starts over after a checkpoint
 * (`journal_size_limit`): {@link WAL_CHECKPOINT_PAGES} pages of 4 KB.
 */
export const WAL_SIZE_LIMIT_BYTES = WAL_CHECKPOINT_PAGES * 4096;

/** The path that opens a private, non-persistent database. */
export const MEMORY_PATH = ':memory:';

/** How a connection waits for a lock SQLite holds only briefly (WAL recovery, checkpoints). */
const BUSY_TIMEOUT_MS = 5000;

/** `synchronous` values a writer accepts. */
export type Synchronous = 'normal' | 'full';

/** `locking` values a writer accepts: readers allowed beside it, or none. */
export type Locking = 'normal' | 'exclusive';

/** The `locking` values, in documentation order. */
export const LOCKING_MODES: readonly Locking[] = Object.freeze(['normal', 'exclusive']);

/** How to open a connection. */
export interface ConnectOptions {
  /** Open without write access (the file must exist). */
  readonly readOnly: boolean;
  /** The writer's `synchronous` setting (ignored read-only). */
  readonly synchronous: Synchronous;
  /** The writer's locking mode (default `normal`; ignored read-only and for `:memory:`). */
  readonly locking?: Locking | undefined;
  /**
   * Run on the new connection before anything is set on it (the journal
   * mode is written into the file): a check that may refuse the file.
   */
  readonly check?: (db: Connection) => void;
}

/** A writer with the default `synchronous` (normal). */
export const WRITER: ConnectOptions = Object.freeze({ readOnly: false, synchronous: 'normal' });

let driver: typeof Database | undefined;

/** How to get the driver, for the errors of a missing or unbuilt one. */
const INSTALL_HINT =
  'better-sqlite3 is an optional dependency of multistore-kv, needed only by the SQLite tier; ' +
  'install it beside multistore-kv (npm install better-sqlite3@^12: it downloads a prebuilt ' +
  'binary or compiles one with python3, make and a C++ compiler)';

/** The better-sqlite3 constructor, loaded on first use; TIER_IO with the fix when it is missing. */
export function loadDriver(): typeof Database {
  if (driver !== undefined) return driver;
  const require = nodeBuiltin('node:module').createRequire(import.meta.url);
  try {
    driver = require('better-sqlite3') as typeof Database;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
    throw new TierIoError(`the SQLite driver is not installed: ${INSTALL_HINT}`, error);
  }
  return driver;
}

/** A new connection; a driver whose native part is missing or was built for another Node is TIER_IO with the fix. */
function open(Driver: typeof Database, path: string, options: ConnectOptions): Connection {
  try {
    return options.readOnly
      ? new Driver(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS })
      : new Driver(path, { timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (!/bindings file|NODE_MODULE_VERSION|better_sqlite3\.node/.test(reason)) throw error;
    const first = reason.split('\n')[0];
    throw new TierIoError(
      `the SQLite driver's native module cannot be loaded (${first}): run npm rebuild better-sqlite3, or ${INSTALL_HINT}`,
      error,
    );
  }
}

/**
 * Why the SQLite tier cannot open here (the driver missing, or its native
 * module not built), as the `TIER_IO` message opening it would give; or
 * `undefined` when it can. Opens and closes one `:memory:` connection.
 */
export function sqliteDriverProblem(): string | undefined {
  try {
    open(loadDriver(), MEMORY_PATH, WRITER).close();
    return undefined;
  } catch (error) {
    if (error instanceof TierIoError) return error.message;
    throw error;
  }
}

/** Open and configure a connection to `path` (a file, or `:memory:` for a writer). */
export function connect(path: string, options: ConnectOptions = WRITER): Connection {
  const db = open(loadDriver(), path, options);
  try {
    // Before anything reads the file: see the module documentation.
    if (exclusive(path, options)) setExclusiveLocking(db);
    options.check?.(db);
    if (!options.readOnly) {
      if (path !== MEMORY_PATH) {
        db.pragma('journal_mode = WAL');
        db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
        db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
      }
      db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function exclusive(path: string, options: ConnectOptions): boolean {
  return !options.readOnly && path !== MEMORY_PATH && options.locking === 'exclusive';
}

/** Take exclusive locking mode on a connection that has not read the file yet. */
function setExclusiveLocking(db: Connection): void {
  const mode = db.pragma('locking_mode = EXCLUSIVE', { simple: true });
  if (mode !== 'exclusive') throw new Error(`SQLite kept locking_mode ${String(mode)}`);
}

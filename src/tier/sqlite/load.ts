/**
 * Opening a SQLite connection, loading the native driver only when needed.
 *
 * better-sqlite3 is a native module. It is loaded with `createRequire` the
 * first time a SQLite tier is opened, so that importing the tier layer (or
 * running on the memory tier alone) never loads it, nor any Node built-in
 * (node-builtins.ts).
 *
 * A file database runs in WAL mode with `synchronous=NORMAL`: a commit is one
 * append to the write-ahead log, so a process crash loses nothing committed
 * and a power loss at most the last commits, never consistency. The
 * connection holds the file in exclusive locking mode (see file-lock.ts).
 * `:memory:` has no journal to tune.
 *
 * Errors are not translated here; the tier wraps them as `TIER_IO`.
 *
 * @module
 */

import type Database from 'better-sqlite3';
import { nodeBuiltin } from './node-builtins.js';

/** An open better-sqlite3 connection. */
export type Connection = Database.Database;

/** A prepared better-sqlite3 statement. */
export type Statement = Database.Statement<unknown[], unknown>;

/** The path that opens a private, non-persistent database. */
export const MEMORY_PATH = ':memory:';

let driver: typeof Database | undefined;

function loadDriver(): typeof Database {
  driver ??= nodeBuiltin('node:module').createRequire(import.meta.url)(
    'better-sqlite3',
  ) as typeof Database;
  return driver;
}

/** Open and configure a connection to `path` (a file, or `:memory:`). */
export function connect(path: string): Connection {
  const Driver = loadDriver();
  // A short busy timeout: the file is held in exclusive mode, so waiting for
  // another process to let go of it would only delay the STORE_LOCKED error.
  const db = new Driver(path, { timeout: 100 });
  try {
    if (path !== MEMORY_PATH) {
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
    }
    db.pragma('synchronous = NORMAL');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * The connections a read-only SQLite tier reads its snapshots through.
 *
 * A read-only tier reads with autocommit statements, so each read sees the
 * last commit of the writer (in any process). A range must instead see one
 * state from its first page to its last, so it reads through a snapshot: a
 * connection of its own inside a read transaction (`BEGIN`, pinned by a
 * first read), ended when the snapshot is released. WAL lets the writer go on
 * committing meanwhile; the snapshot just does not see it:
 *
 * ```
 *   reader tier ── main connection          get, stats, latest version (autocommit)
 *               └─ snapshot connections     BEGIN ... pages ... COMMIT, one per open range
 *                    idle ones kept (at most IDLE_KEPT), with their prepared statements
 * ```
 *
 * A snapshot held open for long keeps the WAL from being checkpointed past
 * it (the file's WAL grows meanwhile), which is why the store releases one
 * as soon as its range ends, returns, or is garbage-collected.
 *
 * @module
 */

import { SqlConnection } from './connection.js';
import { connect } from './load.js';

/** Idle snapshot connections kept for reuse. */
const IDLE_KEPT = 2;

/** The snapshot connections of one read-only tier. */
export class SnapshotConnections {
  readonly #path: string;
  readonly #idle: SqlConnection[] = [];
  #closed = false;

  constructor(path: string) {
    this.#path = path;
  }

  /** A connection inside a read transaction that has already read (its snapshot is fixed). */
  take(): SqlConnection {
    const connection =
      this.#idle.pop() ?? new SqlConnection(connect(this.#path, READ_ONLY_CONNECTION), false);
    try {
      connection.db.exec('BEGIN');
      connection.latestVersion();
      return connection;
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  /** End a connection's read transaction; keep it for the next snapshot, or close it. */
  give(connection: SqlConnection): void {
    try {
      if (connection.db.inTransaction) connection.db.exec('COMMIT');
    } catch {
      connection.close();
      return;
    }
    if (this.#closed || this.#idle.length >= IDLE_KEPT) connection.close();
    else this.#idle.push(connection);
  }

  /** Close every idle connection; connections given back later are closed too. */
  close(): void {
    this.#closed = true;
    for (const connection of this.#idle.splice(0)) connection.close();
  }
}

const READ_ONLY_CONNECTION = Object.freeze({ readOnly: true, synchronous: 'normal' as const });

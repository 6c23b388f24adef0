/**
 * Online backup of a SQLite database to a new file.
 *
 * SQLite's backup API (through better-sqlite3) copies the database page by
 * page, a step per turn of the event loop, so the store keeps working while
 * it runs. The copy is consistent: pages a commit on the same connection
 * changes are copied again, and a commit by another connection (a reader
 * backing up beside a writer) restarts the copy, which is why a read-only
 * tier copies everything in one step instead.
 *
 * ```
 *   backup(target):  target exists? -> INVALID_ARGUMENT (never overwritten)
 *                    copy into "<target>.partial-<pid>-<n>" (steps of STEP_PAGES)
 *                    link it to target (fails if target appeared meanwhile), unlink the temp
 * ```
 *
 * The target therefore appears complete or not at all; a crash mid-copy
 * leaves only the temporary file. The copy is an ordinary multistore file
 * (same format, WAL mode), opened like any other.
 *
 * @module
 */

import { InvalidInputError } from '../../common/errors.js';
import type { Connection } from './load.js';
import { nodeBuiltin } from './node-builtins.js';

/** Pages copied per step when commits go on through the same connection. */
const STEP_PAGES = 1000;

/** More pages than any database holds: one step copies everything. */
const WHOLE = 0x7fffffff;

let temporaries = 0;

/** Copy `db` to the new file `target`; `oneStep` for a connection others write beside. */
export async function backupDatabase(
  db: Connection,
  target: string,
  oneStep: boolean,
): Promise<void> {
  const fs = nodeBuiltin('node:fs');
  if (fs.existsSync(target)) {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      `the backup target ${target} exists: a backup never overwrites a file`,
    );
  }
  const temporary = `${target}.partial-${process.pid}-${++temporaries}`;
  try {
    await db.backup(temporary, { progress: () => (oneStep ? WHOLE : STEP_PAGES) });
    try {
      fs.linkSync(temporary, target);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
      // Another backup (or anyone) made the target while this one copied.
      throw new InvalidInputError(
        'INVALID_ARGUMENT',
        `the backup target ${target} appeared during the backup: a backup never overwrites a file`,
      );
    }
  } finally {
    for (const leftover of [temporary, `${temporary}-journal`])
      fs.rmSync(leftover, { force: true });
  }
}

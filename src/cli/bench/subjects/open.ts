/**
 * Open the subject of an implementation id: the one place that maps ids
 * (plan.ts) to engines, so the child entry stays engine-agnostic.
 *
 * Each engine module is imported on demand: a child loads only the engine
 * it measures (lmdb, better-sqlite3 and the store each cost start-up time,
 * and a child process is started for every round).
 *
 * @module
 */

import type { ImplId } from '../plan.js';
import type { BenchSubject, SubjectOptions } from '../subject.js';

/** Open a fresh, empty subject of `impl`, keeping its files in `options.dir`. */
export async function openSubject(impl: ImplId, options: SubjectOptions): Promise<BenchSubject> {
  switch (impl) {
    case 'multistore-memory':
      return (await import('./multistore.js')).openMultiStore('memory', options);
    case 'multistore-sqlite':
      return (await import('./multistore.js')).openMultiStore('sqlite', options);
    case 'sorted-btree':
      return (await import('./btree.js')).openBTree();
    case 'better-sqlite3':
      return (await import('./sqlite.js')).openRawSqlite(options);
    case 'lmdb':
      return (await import('./lmdb.js')).openLmdb(options, false);
    case 'lmdb-nosync':
      return (await import('./lmdb.js')).openLmdb(options, true);
  }
}

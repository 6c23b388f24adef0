/**
 * Open the subject of an implementation id: the one place that maps ids
 * (catalog.ts) to engines, so the child entry stays engine-agnostic.
 *
 * Each engine module is imported on demand: a child loads only the engine
 * it measures (each costs start-up time, and a child process is started
 * for every round), and an engine that is not installed fails only the
 * children that ask for it (the probe reports it as missing).
 *
 * @module
 */

import type { ImplId } from '../catalog.js';
import type { BenchSubject, SubjectOptions } from '../subject.js';

/** Open a fresh, empty subject of `impl`, keeping its files in `options.dir`. */
export async function openSubject(impl: ImplId, options: SubjectOptions): Promise<BenchSubject> {
  switch (impl) {
    case 'multistore-memory':
    case 'multistore-sqlite':
    case 'multistore-sqlite-full':
    case 'multistore-sqlite-group':
    case 'multistore-sqlite-exclusive':
      return (await import('./multistore.js')).openMultiStore(impl, options);
    case 'sorted-btree':
      return (await import('./btree.js')).openBTree();
    case 'better-sqlite3':
    case 'better-sqlite3-exclusive':
    case 'better-sqlite3-no-index':
    case 'better-sqlite3-group':
      return (await import('./sqlite.js')).openRawSqlite(impl, options);
    case 'lmdb':
      return (await import('./lmdb.js')).openLmdb(options, false);
    case 'lmdb-nosync':
      return (await import('./lmdb.js')).openLmdb(options, true);
    case 'classic-level':
      return (await import('./classic-level.js')).openClassicLevel(options);
    case 'hyperbee':
      return (await import('./hyperbee.js')).openHyperbee(options);
    case 'multistore-postgres':
      return (await import('./postgres.js')).openPostgresStore(options);
    case 'pg':
      return (await import('./postgres.js')).openRawPostgres(options);
  }
}

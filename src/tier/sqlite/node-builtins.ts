/**
 * Node's built-in modules, reached when a SQLite tier is opened rather than
 * when the package is imported.
 *
 * The SQLite tier needs the file system (the lock's canonical paths) and
 * `createRequire` (to load the native driver). Imported statically, they
 * would load with every import of `multistore`, even for a store that only
 * ever uses the memory tier, and the package could not load at all where
 * there is no Node. `process.getBuiltinModule` (Node >= 20.16) hands them
 * out on demand instead; where it is missing, opening a SQLite tier fails
 * with `TIER_IO`.
 *
 * @module
 */

import type * as Fs from 'node:fs';
import type * as Module from 'node:module';
import type * as Path from 'node:path';
import { TierIoError } from '../../common/errors.js';

/** The built-in modules the SQLite tier uses. */
interface Builtins {
  'node:fs': typeof Fs;
  'node:module': typeof Module;
  'node:path': typeof Path;
}

type GetBuiltin = (id: string) => unknown;

/** The built-in module `id`; throws `TIER_IO` where the host is not Node (>= 20.16). */
export function nodeBuiltin<ID extends keyof Builtins>(id: ID): Builtins[ID] {
  const host = (globalThis as { process?: { getBuiltinModule?: GetBuiltin } }).process;
  const builtin = host?.getBuiltinModule?.(id);
  if (builtin === undefined) {
    throw new TierIoError(`the SQLite tier needs Node.js 20.16 or later (${id})`, undefined);
  }
  return builtin as Builtins[ID];
}

/**
 * Scripts a run expects to fail, each with its reason: the exclusion file.
 *
 * A conformance folder we do not own (ReifyDB's transaction scripts) may hold
 * a script that depends on a behaviour this project decided against. Such a
 * script may be listed here, with the reason, and only here; the list is
 * compiled in, so `multistore run` ships it and nothing outside the repository
 * can change what a run hides. The rules keep the list honest:
 *
 * ```
 *   listed, fails    -> counted "excluded" (not failed); the run prints it with its reason
 *   listed, passes   -> FAILED: "excluded but passes: remove the exclusion"
 *   listed, missing  -> the run fails: an exclusion that names no script
 *   not listed       -> as always
 * ```
 *
 * An excluded script still runs on every tier, so the list can never hide a
 * script that works, nor go stale silently. An exclusion names the folder that
 * selects the script's runner (`txn-conformance`) and the script's path below
 * it, with `/` separators.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { selectingFolderOf } from './discover.js';
import { TXN_EXCLUSIONS } from './txn-exclusions.js';

/** One script a run expects to fail. */
export interface Exclusion {
  /** The name of the folder that selects the script's runner, e.g. `txn-conformance`. */
  readonly folder: string;
  /** The script's path below that folder, `/`-separated. */
  readonly script: string;
  /** Why the project decided against the behaviour the script pins. */
  readonly reason: string;
}

/** Every exclusion of the project (today: only the transaction runner's list). */
export const EXCLUSIONS: readonly Exclusion[] = Object.freeze([...TXN_EXCLUSIONS]);

/** The exclusion that lists `file`, if any. */
export function exclusionOf(file: string, list: readonly Exclusion[]): Exclusion | undefined {
  const selecting = selectingFolderOf(file);
  if (selecting === undefined) return undefined;
  const name = basename(selecting.folder);
  const below = relative(selecting.folder, file).split(sep).join('/');
  return list.find((exclusion) => exclusion.folder === name && exclusion.script === below);
}

/**
 * Exclusions that name no existing script, for every runner folder the run
 * reached (`files`): `exclusion names no script: F/S (reason)`.
 */
export function missingExclusions(files: readonly string[], list: readonly Exclusion[]): string[] {
  const folders = new Map<string, string>();
  for (const file of files) {
    const selecting = selectingFolderOf(file);
    if (selecting !== undefined) folders.set(selecting.folder, basename(selecting.folder));
  }
  const problems: string[] = [];
  for (const [folder, name] of folders) {
    for (const exclusion of list.filter((e) => e.folder === name)) {
      if (existsSync(join(folder, ...exclusion.script.split('/')))) continue;
      problems.push(`exclusion names no script: ${join(folder, exclusion.script)}`);
    }
  }
  return problems;
}

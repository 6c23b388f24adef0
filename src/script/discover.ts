/**
 * Finding script files and the runner each one needs.
 *
 * A path on the command line is either a script file (run as given, whatever
 * its name) or a folder, searched recursively. Inside a folder every regular
 * file is a script except:
 *
 * - names starting with `.` (dotfiles and dot-folders such as `.git`),
 * - `node_modules` folders (a project's dependencies: `multistore run .` in
 *   an app must not read every file of every package as a script),
 * - documentation: `*.md`, and `README`, `NOTICE`, `LICENSE`, `LICENCE`,
 *   `COPYING` (any case), alone or followed by `.`, `-` or `_` and more
 *   (`LICENSE-APACHE-2.0`, `README.txt`; but `licensed_keys` is a script),
 * - symbolic links to folders (not followed, so a link cannot loop).
 *
 * The runner is chosen by the nearest enclosing folder named `store`, `tier`,
 * `stats`, `txn` or `txn-conformance` (the last two select the transaction
 * runner):
 *
 * ```
 *   conformance/reference/tier/drop/parity/01_parity    -> tier
 *   conformance/seed/stats/drop/01_keep_last            -> stats
 *   txn-conformance/reference/multi/bank                -> txn
 *   conformance/txn/anomaly/write_skew                  -> txn
 *   somewhere/else/script                                -> none (the file fails)
 * ```
 *
 * Files come out in a stable order (sorted per given path), each once.
 *
 * @module
 */

import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** The runner families, named after the folders that select them. */
export type RunnerKind = 'store' | 'tier' | 'stats' | 'txn';

/** Every runner kind. */
export const RUNNER_KINDS: readonly RunnerKind[] = Object.freeze(['store', 'tier', 'stats', 'txn']);

/** Folder names that select a runner. */
const SELECTING_FOLDERS: ReadonlyMap<string, RunnerKind> = new Map([
  ['store', 'store'],
  ['tier', 'tier'],
  ['stats', 'stats'],
  ['txn', 'txn'],
  ['txn-conformance', 'txn'],
]);

/** The folder names that select a runner, for messages. */
export const SELECTING_FOLDER_NAMES: readonly string[] = Object.freeze([
  ...SELECTING_FOLDERS.keys(),
]);

/** One script to run. */
export interface ScriptFile {
  /** The path as shown to the user (the given path joined with the relative part). */
  readonly path: string;
  /** The runner its folder selects, or `undefined` when no enclosing folder selects one. */
  readonly kind: RunnerKind | undefined;
}

/** The outcome of collecting scripts: files to run, and one message per unusable path. */
export interface Discovery {
  readonly files: readonly ScriptFile[];
  /** `no such file or directory: P`, `no script files under P`. */
  readonly problems: readonly string[];
}

/** Collect every script under `paths`, per the module rules. */
export async function discoverScripts(paths: readonly string[]): Promise<Discovery> {
  const files: ScriptFile[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    const found = await scriptsUnder(path);
    if (found === undefined) problems.push(`no such file or directory: ${path}`);
    else if (found.length === 0) problems.push(`no script files under ${path}`);
    for (const file of found ?? []) {
      const absolute = resolve(file);
      if (seen.has(absolute)) continue;
      seen.add(absolute);
      files.push({ path: file, kind: runnerKindOf(absolute) });
    }
  }
  return { files, problems };
}

/** The runner kind selected by the nearest enclosing folder of `file`, if any. */
export function runnerKindOf(file: string): RunnerKind | undefined {
  return selectingFolderOf(file)?.kind;
}

/** The nearest enclosing folder of `file` that selects a runner (absolute path), if any. */
export function selectingFolderOf(file: string): { kind: RunnerKind; folder: string } | undefined {
  let folder = dirname(resolve(file));
  for (;;) {
    const kind = SELECTING_FOLDERS.get(basename(folder));
    if (kind !== undefined) return { kind, folder };
    const parent = dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
}

/** True when a file with this name, found in a folder, is a script. */
export function isScriptName(name: string): boolean {
  if (name.startsWith('.')) return false;
  if (name.toLowerCase().endsWith('.md')) return false;
  return !/^(readme|notice|license|licence|copying)([-_.].*)?$/i.test(name);
}

/** The script paths under `path`, sorted; `undefined` when `path` does not exist. */
async function scriptsUnder(path: string): Promise<string[] | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return undefined;
  if (info.isFile()) return [path];
  if (!info.isDirectory()) return [];
  const found: string[] = [];
  await walk(path, found);
  return found.sort();
}

async function walk(folder: string, found: string[]): Promise<void> {
  const entries = await readdir(folder, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') await walk(path, found);
    } else if (!isScriptName(entry.name)) continue;
    else if (entry.isFile() || (entry.isSymbolicLink() && (await linksToFile(path)))) {
      found.push(path);
    }
  }
}

async function linksToFile(path: string): Promise<boolean> {
  const target = await stat(path).catch(() => undefined);
  return target?.isFile() ?? false;
}

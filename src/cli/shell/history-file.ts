/**
 * The interactive shell's history file, best effort.
 *
 * Lines typed in one session come back (arrow up) in the next one. The file
 * holds one command per line, oldest first, at most {@link HISTORY_SIZE}
 * lines; readline wants its history newest first, hence the reversals.
 * Failing to read or write the file (no HOME, a read-only home, a directory
 * in the way) is never an error: the shell works without it.
 *
 * ```
 *   $MULTISTORE_HISTORY, else ~/.multistore_history, else no file
 * ```
 *
 * @module
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Most lines kept. */
export const HISTORY_SIZE = 1_000;

/** Where the history lives, or `undefined` when there is no usable home. */
export function historyPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.MULTISTORE_HISTORY;
  if (explicit !== undefined) return explicit === '' ? undefined : explicit;
  try {
    const home = homedir();
    return home === '' ? undefined : join(home, '.multistore_history');
  } catch {
    return undefined;
  }
}

/** The stored history, newest first (readline's order); empty when unreadable. */
export function loadHistory(path: string | undefined): string[] {
  if (path === undefined) return [];
  try {
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    return lines.slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

/** Store `newestFirst` (readline's order); true when written. */
export function saveHistory(path: string | undefined, newestFirst: readonly string[]): boolean {
  if (path === undefined) return false;
  try {
    const lines = newestFirst.slice(0, HISTORY_SIZE).reverse();
    writeFileSync(path, lines.length === 0 ? '' : `${lines.join('\n')}\n`, { mode: 0o600 });
    return true;
  } catch {
    return false;
  }
}

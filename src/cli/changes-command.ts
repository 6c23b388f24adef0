/**
 * `multistore changes --db FILE [--from V] [--to V] [--prefix P] [--follow]`.
 *
 * Prints the change feed of a SQLite file, one stored write per line, as the
 * shell's `changes` prints it (`"a"@3 => "1"`, `None` for a tombstone), then
 * exits; with `--follow` it keeps printing the commits that later reach the
 * file, until interrupted (Ctrl-C) or, with `--to`, until that version is printed.
 *
 * It opens the file read-only (beside its writer, in this process or
 * another), once: `--follow` then polls that store every `--interval` ms,
 * printing the changes above the last version it printed up to the file's
 * latest version at that poll (a poll costs the read of the latest version
 * and of the feed, never an open). A file of an older format is refused
 * (status 2): a read-only open cannot upgrade it, a writer's open does.
 *
 * ```
 *   open FILE read-only
 *   poll:  latest ─► changes (from last, to latest) ─► print ─► last = latest
 *          the file is gone ─► stop ("no such file")
 * ```
 *
 * | status | when |
 * |---|---|
 * | 0 | done (or interrupted while following) |
 * | 1 | the feed was refused (`VERSION_TOO_OLD`: drops erased history above --from) |
 * | 2 | the file is missing, or could not be opened or read, or --from is above --to (one line, from main.ts) |
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { utf8 } from '../common/bytes.js';
import { isStoreError } from '../common/errors.js';
import { formatBytes } from '../script/format.js';
import type { MultiStore } from '../store/multistore.js';
import { openCliStore } from './open-file.js';

/** Exit status when the feed was refused. */
export const EXIT_REFUSED = 1;

/** Options of `changes` as commander parses them. */
export interface ChangesCommandOptions {
  readonly db: string;
  readonly from?: number;
  readonly to?: number;
  readonly prefix?: string;
  readonly follow?: boolean;
  readonly interval?: number;
}

/** What a run of the command needs from its surroundings (the tests give their own). */
export interface ChangesIo {
  readonly print: (line: string) => void;
  readonly error: (line: string) => void;
  /** Resolves after `ms` (or earlier when the signal aborts). */
  readonly wait: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Ends `--follow` (Ctrl-C). */
  readonly signal: AbortSignal;
}

function version(text: string): number {
  if (!/^[0-9]+$/.test(text))
    throw new InvalidArgumentError('expected a version (an integer >= 0)');
  return Number(text);
}

/** Register the `changes` command on `program`. */
export function addChangesCommand(program: Command): void {
  program
    .command('changes')
    .description('print the change feed of a SQLite file: every stored write, in version order')
    .requiredOption('--db <file>', 'the SQLite file (never created)')
    .option('--from <version>', 'only writes above this version', version)
    .option('--to <version>', 'only writes at or below this version', version)
    .option('--prefix <prefix>', 'only keys starting with these (UTF-8) bytes')
    .option(
      '--follow',
      'keep printing the commits that reach the file (until Ctrl-C, or until --to is printed)',
    )
    .option('--interval <ms>', 'with --follow: milliseconds between polls', version, 1000)
    .action(async (options: ChangesCommandOptions) => {
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      try {
        const io = {
          print: (line: string) => process.stdout.write(`${line}\n`),
          error: (line: string) => process.stderr.write(`${line}\n`),
          wait: sleep,
          signal: controller.signal,
        };
        process.exitCode = await changesCommand(options, io);
      } finally {
        process.off('SIGINT', stop);
      }
    });
}

/** Run the command; returns its exit status (throws what main.ts reports with status 2). */
export async function changesCommand(
  options: ChangesCommandOptions,
  io: ChangesIo,
): Promise<number> {
  const { from, to } = options;
  // As store.changes does: an empty interval asked backwards is a mistake, not an empty feed.
  if (from !== undefined && to !== undefined && from > to) {
    throw new Error(`--from (${from}) must not be above --to (${to})`);
  }
  assertExists(options.db);
  const store = openCliStore({ path: options.db, readOnly: true });
  try {
    let last = options.from;
    for (;;) {
      const read = printChanges(store, options, last, io);
      if (read === 'refused') return EXIT_REFUSED;
      last = read;
      if (options.follow !== true) return 0;
      if (options.to !== undefined && last >= options.to) return 0;
      await io.wait(options.interval ?? 1000, io.signal);
      if (io.signal.aborted) return 0;
      // An open connection still reads a file that was deleted: look at the path.
      assertExists(options.db);
    }
  } finally {
    await store.close();
  }
}

function assertExists(path: string): void {
  // A read-only open never creates a file; this says so in the command's words.
  if (!existsSync(path)) throw new Error(`no such file: ${path}`);
}

/**
 * Print the changes above `from` (all when undefined) up to the file's
 * latest version (or `--to`); returns the version printed up to, `refused`
 * when drops erased history the feed needs.
 */
function printChanges(
  store: MultiStore,
  options: ChangesCommandOptions,
  from: number | undefined,
  io: ChangesIo,
): number | 'refused' {
  const latest = store.latestVersion;
  const to = Math.min(options.to ?? latest, latest);
  if (from !== undefined && from >= to) return from;
  const prefix = options.prefix === undefined ? {} : { prefix: utf8(options.prefix) };
  try {
    for (const { version, writes } of store.changes({
      ...(from === undefined ? {} : { from }),
      to,
      ...prefix,
    })) {
      for (const { key, value } of writes) {
        io.print(
          `${formatBytes(key)}@${version} => ${value === undefined ? 'None' : formatBytes(value)}`,
        );
      }
    }
    return to;
  } catch (error) {
    if (!isStoreError(error, 'VERSION_TOO_OLD')) throw error;
    io.error(`multistore: ${error.message}; read the current state, then follow from its version`);
    return 'refused';
  }
}

/** Resolve after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

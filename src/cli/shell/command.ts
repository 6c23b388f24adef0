/**
 * `multistore shell [--db FILE [--read-only] | --memory]`.
 *
 * Opens a store (memory by default, a SQLite file with `--db`) and runs the
 * shell on it: interactive when stdin is a terminal, else line by line from
 * the pipe. The store is closed on the way out, so drops still pending in
 * the drop worker reach the file. With `--read-only` the file is opened
 * beside the process writing it (if any): reads see what it commits, and
 * writing commands fail with `READ_ONLY`.
 *
 * A file remembers its table declarations, so the shell opens it without
 * any: `multistore shell --db multistore-demo.db` sees the demo's tables
 * (`scan`, `versions history:user:00007`).
 *
 * | status | when |
 * |---|---|
 * | 0 | every command succeeded |
 * | 1 | a command failed (piped or typed), or a bad argument (commander) |
 * | 2 | the store could not be opened (one line, from main.ts) |
 *
 * @module
 */

import { type Command, Option } from 'commander';
import { openCliStore } from '../open-file.js';
import { runInteractive, runPiped, type ShellStreams } from './repl.js';
import { ShellSession } from './session.js';

/** Exit status when a command of the session failed. */
export const EXIT_COMMAND_FAILED = 1;

/** Options of `shell` as commander parses them. */
export interface ShellCommandOptions {
  readonly db?: string;
  readonly memory?: boolean;
  readonly readOnly?: boolean;
}

/** Register the `shell` command on `program`. */
export function addShellCommand(program: Command): void {
  program
    .command('shell')
    .description(
      'an interactive shell speaking the store command language (set, get, drop, scan, ' +
        'versions, stats, help, ...); reads commands from a pipe too',
    )
    .addOption(new Option('--db <file>', 'open (or create) this SQLite file').conflicts('memory'))
    .option('--memory', 'use the memory tier (the default)')
    .addOption(
      new Option(
        '--read-only',
        'open the --db file read-only, beside the process writing it (writes fail)',
      ).conflicts('memory'),
    )
    .action(async (options: ShellCommandOptions) => {
      if (options.readOnly === true && options.db === undefined) {
        console.error('multistore shell: --read-only needs --db FILE');
        process.exitCode = EXIT_COMMAND_FAILED;
        return;
      }
      const streams = { input: process.stdin, output: process.stdout, errors: process.stderr };
      const interactive = process.stdin.isTTY === true;
      const failures = await shellCommand(options, streams, interactive);
      if (failures > 0) process.exitCode = EXIT_COMMAND_FAILED;
    });
}

/** Open the store of `options`, run the shell on it, close it; returns the failed commands. */
export async function shellCommand(
  options: ShellCommandOptions,
  streams: ShellStreams,
  interactive: boolean,
): Promise<number> {
  const store = openCliStore(
    options.db === undefined
      ? { tier: 'memory' }
      : { path: options.db, readOnly: options.readOnly === true },
  );
  try {
    const shell = new ShellSession(store);
    return interactive ? await runInteractive(shell, streams) : await runPiped(shell, streams);
  } finally {
    await store.close();
  }
}

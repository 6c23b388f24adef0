/**
 * `multistore check FILE`: are the figures the file keeps those of its data?
 *
 * The file keeps its statistics figures beside its data, changed in the same
 * transactions, so that opening it reads no data. `check` verifies the two
 * agree, as SQLite's `integrity_check` verifies a database: it opens the file
 * read-only (so it works on a file another process is writing), recounts
 * every stored version in one snapshot (`store.verify()`), and prints each
 * difference:
 *
 * ```
 *   $ multistore check app.db
 *   "sessions": currentCount is 12 in the file, 11 counted
 *   1 difference
 * ```
 *
 * | status | when |
 * |---|---|
 * | 0 | the figures match the data |
 * | 1 | at least one figure differs |
 * | 2 | the file could not be opened (missing, not a multistore file, or a format a read-only open cannot upgrade) or read (its figures or drop log damaged: a writer could not open it) |
 *
 * @module
 */

import type { Command } from 'commander';
import { MultiStore } from '../store/multistore.js';

/** Exit status when a figure differs. */
export const EXIT_DIFFERENT = 1;
/** Exit status when the file cannot be opened. */
export const EXIT_UNREADABLE = 2;

/** Where `check` writes: one call per line. */
export interface CheckOutput {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const consoleOutput: CheckOutput = Object.freeze({
  out: (line: string) => console.log(line),
  err: (line: string) => console.error(line),
});

/** Register the `check` command on `program`. */
export function addCheckCommand(program: Command, output: CheckOutput = consoleOutput): void {
  program
    .command('check')
    .description(
      'recount the data of a multistore file and compare it with the statistics the file keeps ' +
        '(read-only: works beside a running writer)',
    )
    .argument('<file>', 'a multistore SQLite file')
    .action(async (file: string) => {
      process.exitCode = await checkCommand(file, output);
    });
}

/** Check `file`; prints the differences (or a one-line summary) and returns the exit status. */
export async function checkCommand(file: string, output: CheckOutput): Promise<number> {
  let store: MultiStore;
  try {
    store = MultiStore.open({ path: file, readOnly: true });
  } catch (error) {
    output.err(`multistore check: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_UNREADABLE;
  }
  try {
    let differences: ReturnType<MultiStore['verify']>;
    try {
      differences = store.verify();
    } catch (error) {
      // A damaged file (figures or drop log unreadable): a writer could not open it either.
      output.err(`multistore check: ${error instanceof Error ? error.message : String(error)}`);
      return EXIT_UNREADABLE;
    }
    for (const { table, figure, stored, counted } of differences) {
      output.out(
        `${JSON.stringify(table)}: ${figure} is ${stored} in the file, ${counted} counted`,
      );
    }
    if (differences.length > 0) {
      output.out(`${differences.length} difference${differences.length === 1 ? '' : 's'}`);
      return EXIT_DIFFERENT;
    }
    const tables = Object.keys(store.stats().tables).length;
    output.out(`ok: the figures of ${tables} table${tables === 1 ? '' : 's'} match the data`);
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * The `multistore` program: every subcommand, registered in one place.
 *
 * Each subcommand lives in its own module with an `add…Command(program)`
 * function; add new ones here. Building the program has no side effect, so
 * tests can build and inspect it; `main.ts` parses `process.argv` with it.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { addBenchCommand } from './bench/command.js';
import { addChangesCommand } from './changes-command.js';
import { addCheckCommand } from './check-command.js';
import { addDemoCommand } from './demo/command.js';
import { addRunCommand } from './run-command.js';
import { addShellCommand } from './shell/command.js';

/** The version of the package this command belongs to (its package.json, shipped beside dist/). */
export function packageVersion(): string {
  const manifest = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** Build the `multistore` program with every subcommand. */
export function buildProgram(): Command {
  const program = new Command('multistore')
    .description('an embedded multi-version key-value store: tools and conformance runner')
    .version(packageVersion(), '-V, --version', 'print the version of multistore-kv and exit')
    .showSuggestionAfterError(true);
  addRunCommand(program);
  addBenchCommand(program);
  addDemoCommand(program);
  addShellCommand(program);
  addChangesCommand(program);
  addCheckCommand(program);
  return program;
}

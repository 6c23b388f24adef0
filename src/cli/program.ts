/**
 * The `multistore` program: every subcommand, registered in one place.
 *
 * Each subcommand lives in its own module with an `add…Command(program)`
 * function; add new ones here. Building the program has no side effect, so
 * tests can build and inspect it; `main.ts` parses `process.argv` with it.
 *
 * @module
 */

import { Command } from 'commander';
import { addBenchCommand } from './bench/command.js';
import { addDemoCommand } from './demo/command.js';
import { addRunCommand } from './run-command.js';
import { addShellCommand } from './shell/command.js';

/** Build the `multistore` program with every subcommand. */
export function buildProgram(): Command {
  const program = new Command('multistore')
    .description('an embedded multi-version key-value store: tools and conformance runner')
    .showSuggestionAfterError(true);
  addRunCommand(program);
  addBenchCommand(program);
  addDemoCommand(program);
  addShellCommand(program);
  return program;
}

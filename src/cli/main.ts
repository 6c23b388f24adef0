#!/usr/bin/env node
/**
 * The `multistore` executable.
 *
 * Parses the command line with the program of `program.ts` and turns an
 * unexpected error into one line on stderr and exit status 2, never a stack
 * trace. Commander prints its own one-line errors for bad options or
 * arguments (exit 1) and the help for `--help`.
 *
 * @module
 */

import { buildProgram } from './program.js';

/** Exit status for an error that is not a script failure. */
const EXIT_ERROR = 2;

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  console.error(`multistore: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = EXIT_ERROR;
}

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

// A closed pipe (`multistore shell < cmds | head`) is not an error: the rest of the
// output is dropped and the command finishes as usual (a shell still closes its store).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') return;
  console.error(`multistore: stdout: ${error.message}`);
  process.exitCode = EXIT_ERROR;
});

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  console.error(`multistore: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = EXIT_ERROR;
}

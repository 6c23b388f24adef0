/**
 * Running the built `multistore` executable as a child process, for the CLI
 * tests of `demo` and `shell`.
 *
 * The tests run from `dist/`, so the executable is `dist/cli/main.js` of the
 * same build. Children run synchronously with a generous timeout (a hung
 * child fails the test instead of hanging the suite); the timeout never
 * decides a pass.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built executable. */
export const MULTISTORE_MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** How to run one child. */
export interface ChildOptions {
  /** Working directory (default: the test's). */
  readonly cwd?: string;
  /** Text for stdin (default: none, stdin is closed). */
  readonly input?: string;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Run `multistore ...args` and wait for it. */
export function runMultistore(
  args: readonly string[],
  options: ChildOptions = {},
): SpawnSyncReturns<string> {
  const result = spawnSync(process.execPath, [MULTISTORE_MAIN, ...args], {
    cwd: options.cwd,
    input: options.input ?? '',
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    timeout: 120_000,
  });
  if (result.error !== undefined) throw result.error;
  return result;
}

/** The non-empty lines of `text`. */
export function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

/** The child failed with exactly one line on stderr, matching `pattern`, and no stack trace. */
export function assertOneLineError(result: SpawnSyncReturns<string>, pattern: RegExp): void {
  assert.notEqual(result.status, 0, `expected a failure, got status 0\n${result.stdout}`);
  const errors = nonEmptyLines(result.stderr);
  assert.equal(errors.length, 1, `expected one line on stderr, got:\n${result.stderr}`);
  assert.match(errors[0] ?? '', pattern);
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
}

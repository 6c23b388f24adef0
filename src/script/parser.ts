/**
 * The goldenscript file format: blocks of commands and their expected output.
 *
 * ```
 *   # a comment (also // ...)          skipped between and inside blocks
 *   set a=1                        <-- block starts at its first command line
 *
 *   get a                              blank lines / comments among commands: skipped
 *   ---                                separator
 *   "a" => "1"                         expected output, verbatim...
 *                                  <-- ...up to the first blank line or EOF
 * ```
 *
 * The parser reads the whole file before anything runs, so a malformed file
 * fails as a whole, with its file and line, and never half-runs. Malformed is:
 * a `---` with no command before it, commands with no `---` after them, a
 * `---` with no expected output (an empty output is written `ok`), and any
 * command line the word lexer rejects (see `words.ts`).
 *
 * Expected lines are compared without trailing whitespace (invisible in an
 * editor, never produced by a runner). Lines inside the expected output are
 * taken literally, even when they start with `#`.
 *
 * @module
 */

import { ScriptError } from './script-error.js';
import { type Command, parseCommandLine } from './words.js';

export type { Arg, Command, Word } from './words.js';

/** One block: commands, then the output they must print. */
export interface Block {
  /** 1-based line of the block's first command. */
  readonly line: number;
  /** The commands, in order (at least one). */
  readonly commands: readonly Command[];
  /** The expected output lines (at least one; `ok` stands for no output). */
  readonly expected: readonly string[];
}

/** A parsed script file. */
export interface Script {
  /** The file name used in messages. */
  readonly file: string;
  /** The blocks, in file order. */
  readonly blocks: readonly Block[];
}

/** The line that separates a block's commands from its expected output. */
export const SEPARATOR = '---';

/** Parse a whole script. Throws {@link ScriptError} (with file and line) when malformed. */
export function parseScript(text: string, file: string): Script {
  const lines = text.split(/\r?\n/);
  const blocks: Block[] = [];
  let index = 0;
  for (;;) {
    index = skipIgnorable(lines, index);
    if (index >= lines.length) break;
    const { block, next } = parseBlock(lines, index, file);
    blocks.push(block);
    index = next;
  }
  return { file, blocks };
}

function isBlank(line: string): boolean {
  return line.trim() === '';
}

function isComment(line: string): boolean {
  const trimmed = line.trimStart();
  return trimmed.startsWith('#') || trimmed.startsWith('//');
}

function isSeparator(line: string): boolean {
  return line.trim() === SEPARATOR;
}

/** The index of the next line that is neither blank nor a comment. */
function skipIgnorable(lines: readonly string[], from: number): number {
  let index = from;
  while (index < lines.length) {
    const line = lines[index] as string;
    if (!isBlank(line) && !isComment(line)) break;
    index++;
  }
  return index;
}

/** Parse the block starting at `start` (a non-blank, non-comment line). */
function parseBlock(
  lines: readonly string[],
  start: number,
  file: string,
): { block: Block; next: number } {
  if (isSeparator(lines[start] as string)) {
    throw new ScriptError(file, start + 1, `'${SEPARATOR}' without a command before it`);
  }
  const commands: Command[] = [];
  let index = start;
  while (index < lines.length && !isSeparator(lines[index] as string)) {
    commands.push(parseCommandLine(lines[index] as string, index + 1, file));
    index = skipIgnorable(lines, index + 1);
  }
  if (index >= lines.length) {
    throw new ScriptError(file, start + 1, `block has no '${SEPARATOR}' line after its commands`);
  }
  const separator = index;
  const expected: string[] = [];
  for (index++; index < lines.length && !isBlank(lines[index] as string); index++) {
    expected.push((lines[index] as string).trimEnd());
  }
  if (expected.length === 0) {
    throw new ScriptError(
      file,
      separator + 1,
      `no expected output after '${SEPARATOR}' (write 'ok' for a block that prints nothing)`,
    );
  }
  return { block: { line: start + 1, commands, expected }, next: index };
}

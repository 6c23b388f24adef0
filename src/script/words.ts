/**
 * Splitting one goldenscript command line into its name and arguments.
 *
 * A command line is a command name followed by arguments separated by
 * whitespace. Every argument is one *word*, or two words joined by `=`:
 *
 * ```
 *   set "b\xff"=2f version=3      range "b..=c"     set empty=
 *   ^^^ ^^^^^^^^^^^^^ ^^^^^^^^^      ^^^^^^^^       ^^^^^^^^^
 *   name  key = value  key=value     value only      key = "" (bare, empty)
 * ```
 *
 * A word is either bare text (no whitespace, quotes, `=` or backslash) or a
 * quoted string in `"…"` or `'…'`. Quoted strings hold raw bytes: `\xNN` is
 * one byte (not a code point), `\0 \n \t \\ \" \'` are the usual escapes, any
 * other character is UTF-8 encoded. Anything else (an unterminated quote, an
 * unknown escape, text glued to a closing quote, a second `=`) is malformed and
 * throws a {@link ScriptError} naming the file, line and column: a typo must
 * never turn into a silently different argument.
 *
 * A `!` glued to the front of the command name (`!get a version=-1`) marks
 * a command that must fail ({@link Command.expectFailure}); what that means
 * for a block is the engine's business (see `runner.ts`).
 *
 * A line may start with a `NAME:` prefix (letters, digits, `_`, then `:` and
 * whitespace), which the transaction scripts use to say which transaction
 * runs the command ({@link Command.prefix}):
 *
 * ```
 *   t2: !commit                  prefix t2, name commit, expected to fail
 *   t2: set balance=70 # why     a # (or //) after whitespace, outside quotes,
 *                                starts a comment that runs to the end of the line
 * ```
 *
 * Which commands accept a prefix is the runner's business (`args.ts`).
 *
 * The lexer does not know which commands take which arguments; runners check
 * that (see `args.ts`). It keeps the spelling of every word so that error
 * messages can quote the script.
 *
 * @module
 */

import { utf8 } from '../common/bytes.js';
import { ScriptError } from './script-error.js';

/** One word of a command line: its bytes and how it was written. */
export interface Word {
  /** The word's bytes after unescaping (UTF-8 for bare text). */
  readonly bytes: Uint8Array;
  /** True when the word was written in quotes. */
  readonly quoted: boolean;
  /** The word exactly as written in the script, quotes included. */
  readonly text: string;
}

/**
 * One argument: a lone word (`a`, `"b..=c"`), or a `key=value` pair
 * (`version=3`, `"b\xff"=2f`, `""=""`) where each side is a word.
 */
export interface Arg {
  /** The left side of `key=value`; `undefined` for a lone word. */
  readonly key: Word | undefined;
  /** The lone word, or the right side of `key=value`. */
  readonly value: Word;
  /** The argument exactly as written in the script. */
  readonly text: string;
}

/** One command line of a block. */
export interface Command {
  /** 1-based line number in the script file. */
  readonly line: number;
  /** The `NAME` of a `NAME:` prefix (`t1` in `t1: get a`), or `undefined` without one. */
  readonly prefix: string | undefined;
  /** The command name, e.g. `set` (without the `!` of an expected failure). */
  readonly name: string;
  /** True when the line starts with `!`: the command must fail (see `runner.ts`). */
  readonly expectFailure: boolean;
  /** The arguments in script order. */
  readonly args: readonly Arg[];
  /** The whole line as written (trimmed), for reports. */
  readonly text: string;
}

const COMMAND_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A `NAME:` prefix followed by whitespace (or the end of the line). */
const PREFIX = /^([A-Za-z0-9_]+):(?=[ \t]|$)/;
/** Marks a command that must fail, glued to its name: `!commit`. */
export const EXPECT_FAILURE = '!';

/** Said when a would-be command name holds a colon: a transaction prefix written wrong. */
const TRANSACTION_HINT =
  "; a transaction's command is written NAME: COMMAND (t1: get a), a space after the colon, " +
  'its ! after the name (t1: !commit)';
const SIMPLE_ESCAPES: ReadonlyMap<string, number> = new Map([
  ['0', 0x00],
  ['n', 0x0a],
  ['t', 0x09],
  ['\\', 0x5c],
  ['"', 0x22],
  ["'", 0x27],
]);

/** Parse one (non-blank, non-comment) command line. Throws {@link ScriptError}. */
export function parseCommandLine(source: string, line: number, file: string): Command {
  const lexer = new LineLexer(source, line, file);
  const prefix = lexer.prefix();
  const { name, expectFailure } = lexer.commandName();
  const args: Arg[] = [];
  while (lexer.skipSpace()) args.push(lexer.arg());
  return { line, prefix, name, expectFailure, args, text: source.trim() };
}

function isSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\t';
}

/** A cursor over one line; every method leaves `#pos` after what it read. */
class LineLexer {
  readonly #source: string;
  readonly #line: number;
  readonly #file: string;
  #pos = 0;

  constructor(source: string, line: number, file: string) {
    this.#source = source;
    this.#line = line;
    this.#file = file;
  }

  /** Skip whitespace and a trailing comment; true when there is more text on the line. */
  skipSpace(): boolean {
    const start = this.#pos;
    while (isSpace(this.#peek())) this.#pos++;
    if (this.#pos > start && this.#atComment()) this.#pos = this.#source.length;
    return this.#pos < this.#source.length;
  }

  /** The `NAME` of a leading `NAME:` prefix (consumed), if the line has one. */
  prefix(): string | undefined {
    this.skipSpace();
    const match = PREFIX.exec(this.#source.slice(this.#pos));
    if (match === null) return undefined;
    this.#pos += match[0].length;
    return match[1];
  }

  #atComment(): boolean {
    return this.#peek() === '#' || this.#source.startsWith('//', this.#pos);
  }

  commandName(): { name: string; expectFailure: boolean } {
    this.skipSpace();
    const expectFailure = this.#peek() === EXPECT_FAILURE;
    if (expectFailure) this.#pos++;
    const start = this.#pos;
    while (this.#pos < this.#source.length && !isSpace(this.#peek())) this.#pos++;
    const name = this.#source.slice(start, this.#pos);
    if (!COMMAND_NAME.test(name)) {
      const hint = name.includes(':') ? TRANSACTION_HINT : '';
      throw this.#error(start, `expected a command name, got ${JSON.stringify(name)}${hint}`);
    }
    return { name, expectFailure };
  }

  arg(): Arg {
    const start = this.#pos;
    if (this.#peek() === '=')
      throw this.#error(start, 'missing key before \'=\' (write "" for an empty key)');
    const first = this.#word();
    if (this.#peek() !== '=') {
      this.#expectEndOfArg();
      return { key: undefined, value: first, text: this.#source.slice(start, this.#pos) };
    }
    this.#pos++;
    const value = this.#word();
    this.#expectEndOfArg();
    return { key: first, value, text: this.#source.slice(start, this.#pos) };
  }

  #word(): Word {
    const quote = this.#peek();
    return quote === '"' || quote === "'" ? this.#quoted(quote) : this.#bare();
  }

  #bare(): Word {
    const start = this.#pos;
    for (let char = this.#peek(); char !== undefined; char = this.#peek()) {
      if (isSpace(char) || char === '=' || char === '"' || char === "'") break;
      if (char === '\\')
        throw this.#error(this.#pos, 'escape sequences are only allowed in quotes');
      this.#pos++;
    }
    const text = this.#source.slice(start, this.#pos);
    return { bytes: utf8(text), quoted: false, text };
  }

  #quoted(quote: string): Word {
    const start = this.#pos++;
    const bytes: number[] = [];
    for (;;) {
      const char = this.#peek();
      if (char === undefined) throw this.#error(start, `unterminated quote ${quote}`);
      if (char === quote) break;
      if (char === '\\') this.#escape(bytes);
      else this.#codePoint(bytes);
    }
    this.#pos++;
    return {
      bytes: Uint8Array.from(bytes),
      quoted: true,
      text: this.#source.slice(start, this.#pos),
    };
  }

  #escape(bytes: number[]): void {
    const at = this.#pos;
    const code = this.#source[at + 1];
    const simple = code === undefined ? undefined : SIMPLE_ESCAPES.get(code);
    if (simple !== undefined) {
      bytes.push(simple);
      this.#pos += 2;
      return;
    }
    const hex = this.#source.slice(at + 2, at + 4);
    if (code === 'x' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      this.#pos += 4;
      return;
    }
    const shown = code === 'x' ? `\\x${hex}` : `\\${code ?? ''}`;
    // As typed (one backslash); JSON quoting would double it. Only an
    // unprintable character after the backslash needs quoting to be seen.
    const typed = /^[\x21-\x7e]+$/.test(shown) ? shown : JSON.stringify(shown);
    throw this.#error(at, `bad escape ${typed} (allowed: \\0 \\xNN \\n \\t \\\\ \\" \\')`);
  }

  #codePoint(bytes: number[]): void {
    const point = this.#source.codePointAt(this.#pos) as number;
    const char = String.fromCodePoint(point);
    for (const byte of utf8(char)) bytes.push(byte);
    this.#pos += char.length;
  }

  #expectEndOfArg(): void {
    const char = this.#peek();
    if (char === undefined || isSpace(char)) return;
    const hint = char === '=' ? " (quote a value that contains '=')" : '';
    throw this.#error(this.#pos, `unexpected ${JSON.stringify(char)}${hint}`);
  }

  #peek(): string | undefined {
    return this.#source[this.#pos];
  }

  #error(pos: number, message: string): ScriptError {
    return new ScriptError(this.#file, this.#line, `column ${pos + 1}: ${message}`);
  }
}

/**
 * Checking and decoding a command's arguments.
 *
 * A runner declares, per command, the arguments it accepts:
 *
 * ```
 *   const COMMANDS = {
 *     set:  { pair: true, named: ['table'] },       // set KEY=VALUE [table=T]
 *     get:  { positional: ['KEY'], named: ['table'] },
 *     scan: { named: ['table'] },
 *   };
 *   const args = readArgs(file, command, COMMANDS); // throws on anything else
 *   args.pair().key; args.bytes(0); args.text('table');
 * ```
 *
 * {@link readArgs} rejects, with a {@link ScriptError} naming the file and the
 * command's line: an unknown command, a missing or extra positional argument,
 * an unknown or repeated named argument, and (for `pair` commands) a first
 * argument that is not `KEY=VALUE`. Decoders then reject values of the wrong
 * shape (`version=abc`, `reverse=yes`, a range without `..`). So a typo in a
 * script is always an error, never a silently ignored argument. Values of the
 * right shape that the store refuses (`version=-1`) are passed on, so that
 * the store's own error is what a script sees.
 *
 * @module
 */

import { fromUtf8 } from '../common/bytes.js';
import type { Bound } from '../tier/tier.js';
import { ScriptError } from './script-error.js';
import type { Arg, Command, Word } from './words.js';

/** The arguments one command accepts. */
export interface ArgSpec {
  /** The first argument must be a `KEY=VALUE` pair (as for `set`/`unset`). */
  readonly pair?: boolean;
  /**
   * Every `KEY=VALUE` argument is a pair, and there is at least one
   * (`set a=1 b=2`); the command then takes no named arguments.
   */
  readonly pairs?: boolean;
  /**
   * Names (for messages) of the required positional arguments, in order. A
   * last name ending in `...` (`KEY...`) takes one or more arguments.
   */
  readonly positional?: readonly string[];
  /** Bare words the command accepts as switches among its arguments (`begin readonly`). */
  readonly flags?: readonly string[];
  /** Names of the optional `name=value` arguments. */
  readonly named?: readonly string[];
  /** The command needs a `NAME:` prefix (`t1: get a`); without this, a prefix is refused. */
  readonly prefixed?: boolean;
}

/** Every command a runner accepts, with its arguments. */
export type CommandTable = Readonly<Record<string, ArgSpec>>;

/** A key range as the `range` commands take it: `a..b`, `a..=b`, `a..`, `..b`, `..=b`, `..`. */
export interface KeyRange {
  readonly start: Bound;
  readonly end: Bound;
}

/** Check `command` against `table` and return its decoded arguments. */
export function readArgs(file: string, command: Command, table: CommandTable): CommandArgs {
  const spec = Object.hasOwn(table, command.name) ? table[command.name] : undefined;
  if (spec === undefined) {
    const known = Object.keys(table).sort().join(', ');
    throw new ScriptError(
      file,
      command.line,
      `unknown command '${command.name}' (known: ${known})`,
    );
  }
  checkPrefix(file, command, spec);
  return new CommandArgs(file, command, spec);
}

function checkPrefix(file: string, command: Command, spec: ArgSpec): void {
  if (spec.prefixed === true && command.prefix === undefined) {
    throw new ScriptError(file, command.line, `${command.name} needs a NAME: prefix`);
  }
  if (spec.prefixed !== true && command.prefix !== undefined) {
    throw new ScriptError(file, command.line, `${command.name} takes no NAME: prefix`);
  }
}

/** The checked arguments of one command, with decoders that throw {@link ScriptError}. */
export class CommandArgs {
  readonly #file: string;
  readonly #command: Command;
  readonly #pair: Arg | undefined;
  readonly #pairs: readonly Arg[];
  readonly #flags: ReadonlySet<string>;
  readonly #positional: readonly Word[];
  readonly #named: ReadonlyMap<string, Word>;

  constructor(file: string, command: Command, spec: ArgSpec) {
    this.#file = file;
    this.#command = command;
    let rest = [...command.args];
    this.#pair = spec.pair ? this.#takePair(rest) : undefined;
    this.#pairs = spec.pairs ? this.#takePairs(rest) : [];
    if (spec.pairs) rest = rest.filter((arg) => arg.key === undefined);
    this.#flags = this.#takeFlags(rest, spec.flags ?? []);
    rest = rest.filter((arg) => !isFlag(arg, spec.flags ?? []));
    const positional = rest.filter((arg) => arg.key === undefined).map((arg) => arg.value);
    this.#positional = this.#checkPositional(positional, spec.positional ?? []);
    this.#named = this.#checkNamed(
      rest.filter((arg) => arg.key !== undefined),
      spec.named ?? [],
    );
  }

  /** The `KEY=VALUE` pairs of a `pairs` command, in script order. */
  pairs(): { readonly key: Uint8Array; readonly value: Uint8Array }[] {
    return this.#pairs.map((arg) => ({ key: (arg.key as Word).bytes, value: arg.value.bytes }));
  }

  /** True when the bare word `name` (one of the spec's flags) was given. */
  flag(name: string): boolean {
    return this.#flags.has(name);
  }

  /** How many positional arguments were given. */
  get count(): number {
    return this.#positional.length;
  }

  /** Positional argument `index` as an integer (any integer literal, as {@link integer}). */
  integerAt(index: number): number {
    const word = this.#positionalWord(index);
    const text = fromUtf8(word.bytes);
    if (!/^-?[0-9]+$/.test(text)) throw this.#error(`${word.text}: expected an integer`);
    return Number(text);
  }

  /** The `KEY=VALUE` pair of a `pair` command. */
  pair(): { readonly key: Uint8Array; readonly value: Uint8Array } {
    if (this.#pair?.key === undefined) throw this.#error('this command takes no KEY=VALUE pair');
    return { key: this.#pair.key.bytes, value: this.#pair.value.bytes };
  }

  /** The bytes of positional argument `index`. */
  bytes(index: number): Uint8Array {
    return this.#positionalWord(index).bytes;
  }

  /** Positional argument `index` decoded as UTF-8 text (for names such as tables). */
  text(index: number): string {
    return fromUtf8(this.#positionalWord(index).bytes);
  }

  /** Positional argument `index` as a key range. */
  range(index: number): KeyRange {
    const word = this.#positionalWord(index);
    const range = parseRange(word.bytes);
    if (range === undefined) {
      throw this.#error(`expected a range like a..b, a..=b, a.., ..b or .., got ${word.text}`);
    }
    return range;
  }

  /** True when the named argument was given. */
  has(name: string): boolean {
    return this.#named.has(name);
  }

  /** The named argument as UTF-8 text, or `undefined` when absent. */
  named(name: string): string | undefined {
    const word = this.#named.get(name);
    return word === undefined ? undefined : fromUtf8(word.bytes);
  }

  /** The bytes of the named argument, or `undefined` when absent. */
  namedBytes(name: string): Uint8Array | undefined {
    return this.#named.get(name)?.bytes;
  }

  /**
   * The named argument as an integer, or `undefined` when absent. Any integer
   * literal (`-1`, `9007199254740993`) passes: whether it is a valid version
   * or count is for the store to say (with its own error code), so scripts
   * can pin that with `!`; text that is not an integer is a script error.
   */
  integer(name: string): number | undefined {
    const text = this.named(name);
    if (text === undefined) return undefined;
    if (!/^-?[0-9]+$/.test(text)) throw this.#error(`${name}=${text}: expected an integer`);
    return Number(text);
  }

  /** The named argument as `true`/`false`, or `undefined` when absent. */
  boolean(name: string): boolean | undefined {
    const text = this.named(name);
    if (text === undefined || text === 'true' || text === 'false') {
      return text === undefined ? undefined : text === 'true';
    }
    throw this.#error(`${name}=${text}: expected true or false`);
  }

  #takePair(rest: Arg[]): Arg {
    const first = rest.shift();
    if (first?.key === undefined) {
      const got = first === undefined ? 'nothing' : first.text;
      throw this.#error(`expected KEY=VALUE as first argument, got ${got}`);
    }
    return first;
  }

  #takePairs(args: readonly Arg[]): Arg[] {
    const pairs = args.filter((arg) => arg.key !== undefined);
    if (pairs.length === 0) throw this.#error('expected at least one KEY=VALUE argument');
    return pairs;
  }

  #takeFlags(args: readonly Arg[], flags: readonly string[]): ReadonlySet<string> {
    const given = new Set<string>();
    for (const arg of args.filter((a) => isFlag(a, flags))) {
      if (given.has(arg.text)) throw this.#error(`${arg.text} given twice`);
      given.add(arg.text);
    }
    return given;
  }

  #checkPositional(words: readonly Word[], names: readonly string[]): readonly Word[] {
    const last = names.at(-1);
    const variadic = last?.endsWith('...') === true;
    if (words.length < names.length) {
      throw this.#error(`missing argument ${names[words.length]}`);
    }
    const extra = words[names.length];
    if (extra !== undefined && !variadic) throw this.#error(`unexpected argument ${extra.text}`);
    return words;
  }

  #checkNamed(args: readonly Arg[], allowed: readonly string[]): ReadonlyMap<string, Word> {
    const named = new Map<string, Word>();
    for (const arg of args) {
      const name = fromUtf8((arg.key as Word).bytes);
      if (!allowed.includes(name)) {
        const hint = allowed.length === 0 ? 'none' : allowed.join(', ');
        throw this.#error(`unknown argument ${arg.text} (allowed: ${hint})`);
      }
      if (named.has(name)) throw this.#error(`argument ${name} given twice`);
      named.set(name, arg.value);
    }
    return named;
  }

  #positionalWord(index: number): Word {
    const word = this.#positional[index];
    if (word === undefined) throw this.#error(`no positional argument ${index + 1}`);
    return word;
  }

  #error(message: string): ScriptError {
    return new ScriptError(this.#file, this.#command.line, `${this.#command.name}: ${message}`);
  }
}

/** A bare (unquoted) lone word that names one of `flags`. */
function isFlag(arg: Arg, flags: readonly string[]): boolean {
  return arg.key === undefined && !arg.value.quoted && flags.includes(arg.value.text);
}

/**
 * Parse a range, split at its first `..`: an empty start is unbounded, else
 * included; the end is excluded, included after `..=`, unbounded when empty.
 * Returns `undefined` when there is no `..` or `..=` has no end key.
 */
export function parseRange(bytes: Uint8Array): KeyRange | undefined {
  const dots = findDots(bytes);
  if (dots < 0) return undefined;
  const startKey = bytes.slice(0, dots);
  const start: Bound =
    startKey.length === 0 ? { kind: 'unbounded' } : { kind: 'included', key: startKey };
  const rest = bytes.slice(dots + 2);
  if (rest[0] === 0x3d) {
    if (rest.length === 1) return undefined;
    return { start, end: { kind: 'included', key: rest.slice(1) } };
  }
  const end: Bound = rest.length === 0 ? { kind: 'unbounded' } : { kind: 'excluded', key: rest };
  return { start, end };
}

function findDots(bytes: Uint8Array): number {
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0x2e && bytes[i + 1] === 0x2e) return i;
  }
  return -1;
}

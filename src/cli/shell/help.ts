/**
 * The shell's `help`: usage lines built from the store language's own
 * argument table, plus one sentence per command.
 *
 * Usage is derived from `STORE_LANGUAGE` (the table the session checks
 * arguments against), so help can never disagree with what the shell
 * accepts; only the descriptions are written here.
 *
 * ```
 *   help          -> every command, one line each, and how to write keys
 *   help drop     -> drop KEY [up_to_version=V] [keep_last_versions=K] [version=N]
 *                    <description>
 * ```
 *
 * @module
 */

import type { ArgSpec } from '../../script/args.js';
import { STORE_LANGUAGE } from '../../script/store-session.js';

/** Commands the shell handles itself, with their usage. */
export const SHELL_COMMANDS: Readonly<Record<string, string>> = Object.freeze({
  help: 'help [COMMAND]',
  quit: 'quit',
  exit: 'exit',
});

/** Per command: a short summary for the overview, and details for `help COMMAND`. */
export const DESCRIPTIONS: Readonly<Record<string, readonly [string, string?]>> = Object.freeze({
  set: ['store VALUE under KEY (one Set delta)'],
  unset: ['delete KEY, carrying its old VALUE (Unset)'],
  remove: ['delete KEY: stores a tombstone (Remove)'],
  drop: [
    'erase stored versions of KEY (drop worker)',
    'Commits one Drop delta and waits for the drop worker. Without arguments every version ' +
      'goes; up_to_version=V erases versions below V; keep_last_versions=K keeps the K newest.',
  ],
  batch: [
    'start collecting writes into ONE commit',
    'The following set/unset/remove/drop (without version=) are committed together by ' +
      '`commit`, at version N or current+1. Reads are not allowed inside a batch.',
  ],
  commit: ['send the open batch, wait for drops'],
  get: ['the value of KEY at version N'],
  contains: ['is a value of KEY visible at version N'],
  scan: ['every live key at version N'],
  range: [
    'live keys of a range at version N',
    'RANGE is a..b, a..=b, a.., ..b, ..=b or .. (quote a range containing =: "a..=c").',
  ],
  prefix: ['live keys starting with PREFIX'],
  count_versions: ['how many versions of KEY are stored'],
  versions: ['every stored version of KEY, newest first', 'None marks a tombstone.'],
  flush: ['wait until every requested drop is applied'],
  stats: ['storage figures summed over all tables'],
  stats_current: ['current versions: count and bytes'],
  stats_historical: ['historical versions: count and bytes'],
  stats_totals: ['versions stored, current/historical bytes'],
  help: ['list the commands, or describe one'],
  quit: ['close the store (drops are applied), leave'],
  exit: ['same as quit'],
});

const PLACEHOLDERS: Readonly<Record<string, string>> = Object.freeze({
  version: 'N',
  reverse: 'BOOL',
  up_to_version: 'V',
  keep_last_versions: 'K',
});

const SYNTAX = [
  'Keys and values are bare words (a, user:1) or quoted ("a b", "\\xff\\x00", \'x=y\').',
  'Writes without version= commit at current+1; reads without version= read at current.',
  'help COMMAND tells more about one command.',
];

/** The usage line of a command, or `undefined` when there is no such command. */
export function usageOf(name: string): string | undefined {
  if (Object.hasOwn(SHELL_COMMANDS, name)) return SHELL_COMMANDS[name];
  if (!Object.hasOwn(STORE_LANGUAGE, name)) return undefined;
  const spec = STORE_LANGUAGE[name] as ArgSpec;
  const parts = [name];
  if (spec.pair) parts.push('KEY=VALUE');
  parts.push(...(spec.positional ?? []));
  for (const named of spec.named ?? []) parts.push(`[${named}=${PLACEHOLDERS[named] ?? 'X'}]`);
  return parts.join(' ');
}

/** Every command the shell knows, store language first. */
export function commandNames(): string[] {
  return [...Object.keys(STORE_LANGUAGE), ...Object.keys(SHELL_COMMANDS)];
}

/** The lines `help` prints: the overview, or one command (`undefined` when unknown). */
export function helpLines(name?: string): string[] | undefined {
  if (name !== undefined) {
    const usage = usageOf(name);
    if (usage === undefined) return undefined;
    const [summary, details] = DESCRIPTIONS[name] ?? [''];
    return [usage, `  ${summary}.`, ...(details === undefined ? [] : [`  ${details}`])];
  }
  const usages = commandNames().map((command) => usageOf(command) as string);
  const width = Math.max(...usages.map((usage) => usage.length));
  const lines = commandNames().map(
    (command, index) =>
      `  ${(usages[index] as string).padEnd(width)}  ${DESCRIPTIONS[command]?.[0]}`,
  );
  return ['Commands:', ...lines, '', ...SYNTAX];
}

/**
 * The shell's `help`: usage lines built from the store language's own
 * argument table, plus one sentence per command.
 *
 * Usage is derived from `STORE_LANGUAGE` and `TRANSACTION_LANGUAGE` (the
 * tables the session checks arguments against), so help can never disagree
 * with what the shell accepts; only the descriptions are written here.
 *
 * ```
 *   help          -> every command, one line each (the transaction commands
 *                    with their NAME: prefix), and how to write keys
 *   help drop     -> drop KEY [up_to_version=V] [keep_last_versions=K] [version=N]
 *                    <description>
 *                    NAME: drop KEY [up_to_version=V] [keep_last_versions=K]
 *                    <description>
 * ```
 *
 * @module
 */

import type { ArgSpec } from '../../script/args.js';
import { STORE_LANGUAGE } from '../../script/store-session.js';
import { TRANSACTION_LANGUAGE } from '../../script/txn-commands.js';

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
  drop_range: [
    'erase stored versions of every key of RANGE (drop worker)',
    'Commits one range Drop delta and waits for the drop worker: each key of RANGE (a..b, ' +
      'a..=b, a.., ..b, ..=b or ..) stored at or below the commit, deleted keys included, ' +
      'loses what `drop KEY` with the same arguments would erase.',
  ],
  drop_prefix: [
    'erase stored versions of every key starting with PREFIX',
    'As drop_range, over the keys whose bytes start with PREFIX.',
  ],
  batch: [
    'start collecting writes into ONE commit',
    'The following set/unset/remove/drop/drop_range/drop_prefix (without version=) are committed together by ' +
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
  versions: [
    'every stored version of KEY, newest first',
    'Prints "KEY"@VERSION => "VALUE" per version; None marks a tombstone; a key without ' +
      'stored versions prints nothing.',
  ],
  changes: [
    'the change feed: every stored write, in version order',
    'Lists each write with from < version <= to (default: every write, up to the latest version) as KEY@V => VALUE ' +
      '(None: a tombstone); prefix=P keeps the keys starting with P. Fails with VERSION_TOO_OLD ' +
      'when drops erased history there.',
  ],
  diff: [
    'keys whose value differs between versions V1 and V2',
    'Prints KEY => BEFORE -> AFTER in key order (None: absent there); prefix=P keeps the keys ' +
      'starting with P.',
  ],
  flush: ['wait until every requested drop is applied'],
  stats: [
    'storage figures summed over all tables',
    'Current and historical counts and bytes, then cdc_count, cdc_key_bytes and ' +
      'cdc_value_bytes, always 0 (the reference stats format has them for a change log, ' +
      'which this store does not keep apart: changes reads the index by version), then total_bytes.',
  ],
  stats_current: ['current versions: count and bytes'],
  stats_historical: ['historical versions: count and bytes'],
  stats_totals: ['versions stored, current/historical bytes'],
  help: ['list the commands, or describe one'],
  quit: ['close the store (drops are applied), leave'],
  exit: ['same as quit'],
});

/** Per transaction command (`NAME: command`): a short summary, and details. */
export const TRANSACTION_DESCRIPTIONS: Readonly<Record<string, readonly [string, string?]>> =
  Object.freeze({
    begin: [
      'open the transaction NAME',
      'Reads as of the latest version (or version=N), sees its own writes, commits at the next ' +
        'version. readonly refuses writes; isolation=serializable also refuses to commit when ' +
        'what it read changed (default snapshot); max_age_ms=MS releases it when older.',
    ],
    begin_replica: ['open NAME to commit at exactly version=N (commit_replica)'],
    commit: [
      'commit NAME',
      'Prints nothing; fails with TRANSACTION_CONFLICT (nothing written) when a commit since ' +
        'NAME began wrote what it writes: begin again and retry.',
    ],
    commit_replica: ['commit a begin_replica transaction at its version'],
    rollback: ['discard NAME and its writes'],
    get: ['the value of KEY as NAME reads it (its own writes first)'],
    contains: ['is a value of KEY visible to NAME'],
    set: ['buffer writes in NAME'],
    unset: ['buffer deletes that carry the old value'],
    remove: ['buffer deletes'],
    drop: ['buffer a drop of KEY, applied after the commit'],
    scan: ['every live key NAME sees'],
    prefix: ['live keys starting with PREFIX, as NAME sees them'],
    range: ['live keys of a range, as NAME sees them'],
    version: ['the version NAME reads at'],
    set_as_of_inclusive: ["move NAME's reads to version N"],
    set_as_of_exclusive: ["move NAME's reads to just before version N"],
  });

const PLACEHOLDERS: Readonly<Record<string, string>> = Object.freeze({
  isolation: 'snapshot|serializable',
  max_age_ms: 'MS',
  version: 'N',
  reverse: 'BOOL',
  up_to_version: 'V',
  keep_last_versions: 'K',
  from: 'V',
  to: 'V',
  prefix: 'P',
});

const SYNTAX = [
  'Keys and values are bare words (a, user:1) or quoted ("a b", "\\xff\\x00", \'x=y\').',
  'Writes without version= commit at current+1; reads without version= read at current.',
  'help COMMAND tells more about one command.',
];

const TRANSACTIONS_INTRO =
  'Transactions (NAME is any name, e.g. t1; several may be open; NAME: COMMAND runs in NAME):';

/** The usage line of a command, or `undefined` when there is no such command. */
export function usageOf(name: string): string | undefined {
  if (Object.hasOwn(SHELL_COMMANDS, name)) return SHELL_COMMANDS[name];
  if (!Object.hasOwn(STORE_LANGUAGE, name)) return undefined;
  return usageFrom(name, STORE_LANGUAGE[name] as ArgSpec);
}

/** The usage line of a transaction command (`NAME: begin ...`), or `undefined`. */
export function transactionUsageOf(name: string): string | undefined {
  if (!Object.hasOwn(TRANSACTION_LANGUAGE, name)) return undefined;
  return `NAME: ${usageFrom(name, TRANSACTION_LANGUAGE[name] as ArgSpec)}`;
}

function usageFrom(name: string, spec: ArgSpec): string {
  const parts = [name];
  if (spec.pair) parts.push('KEY=VALUE');
  if (spec.pairs) parts.push('KEY=VALUE...');
  for (const flag of spec.flags ?? []) parts.push(`[${flag}]`);
  parts.push(...(spec.positional ?? []));
  for (const named of spec.named ?? []) parts.push(`[${named}=${PLACEHOLDERS[named] ?? 'X'}]`);
  return parts.join(' ');
}

/** Every command the shell knows, store language first. */
export function commandNames(): string[] {
  return [...Object.keys(STORE_LANGUAGE), ...Object.keys(SHELL_COMMANDS)];
}

/** The transaction commands, in the order help lists them. */
export function transactionCommandNames(): string[] {
  return Object.keys(TRANSACTION_LANGUAGE);
}

/** The lines `help` prints: the overview, or one command (`undefined` when unknown). */
export function helpLines(name?: string): string[] | undefined {
  if (name !== undefined) return commandHelp(name);
  const store = commandNames().map((c) => [usageOf(c) as string, DESCRIPTIONS[c]?.[0]] as const);
  const txn = transactionCommandNames().map(
    (c) => [transactionUsageOf(c) as string, TRANSACTION_DESCRIPTIONS[c]?.[0]] as const,
  );
  const width = Math.max(...[...store, ...txn].map(([usage]) => usage.length));
  const line = ([usage, summary]: readonly [string, string | undefined]) =>
    `  ${usage.padEnd(width)}  ${summary}`;
  return ['Commands:', ...store.map(line), '', TRANSACTIONS_INTRO, ...txn.map(line), '', ...SYNTAX];
}

/** `help COMMAND`: the store command and the transaction command of that name, when they exist. */
function commandHelp(name: string): string[] | undefined {
  const lines: string[] = [];
  for (const [usage, descriptions] of [
    [usageOf(name), DESCRIPTIONS],
    [transactionUsageOf(name), TRANSACTION_DESCRIPTIONS],
  ] as const) {
    if (usage === undefined) continue;
    const [summary, details] = descriptions[name] ?? [''];
    lines.push(usage, `  ${summary}.`, ...(details === undefined ? [] : [`  ${details}`]));
  }
  return lines.length === 0 ? undefined : lines;
}

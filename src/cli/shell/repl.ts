/**
 * The shell's two loops over `node:readline`: a terminal, or a pipe.
 *
 * ```
 *   terminal:  prompt "multistore v3> " ─► line ─► ShellSession.run ─► print ─► prompt ...
 *              history (arrow up) kept in the history file; Ctrl-C clears the line,
 *              Ctrl-C on an empty line, Ctrl-D, quit or exit leave
 *   pipe:      line ─► ShellSession.run ─► print ...   no prompt, no history;
 *              errors name their input line; the result counts the failures
 * ```
 *
 * Both loops print a command's output on stdout and `error: ...` on stderr,
 * and go on after an error. Input that ends inside a `batch`, or with a
 * transaction still open, counts as a failure: nothing of the batch or the
 * transaction was committed (open transactions are rolled back), and saying
 * nothing would hide it. The prompt lists the open transactions:
 * `multistore v3 [t1 t2]> `.
 *
 * @module
 */

import { createInterface } from 'node:readline';
import { historyPath, loadHistory, saveHistory } from './history-file.js';
import type { ShellReply, ShellSession } from './session.js';

/** Where the shell reads and writes. */
export interface ShellStreams {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  readonly errors: NodeJS.WritableStream;
}

/** Run a pipe of commands; returns how many failed. */
export async function runPiped(shell: ShellSession, streams: ShellStreams): Promise<number> {
  const rl = createInterface({ input: streams.input, terminal: false, crlfDelay: Infinity });
  let failures = 0;
  let line = 0;
  for await (const text of rl) {
    line++;
    const reply = await shell.run(text, line);
    print(reply, streams, `line ${line}: `);
    if (reply.error !== undefined) failures++;
    if (reply.quit) break;
  }
  rl.close();
  return failures + unfinishedBatch(shell, streams) + unfinishedTransactions(shell, streams);
}

/** Run an interactive session on a terminal; returns how many commands failed. */
export async function runInteractive(shell: ShellSession, streams: ShellStreams): Promise<number> {
  const file = historyPath();
  let history = loadHistory(file);
  const rl = createInterface({
    input: streams.input,
    output: streams.output,
    terminal: true,
    history,
    historySize: 1_000,
    removeHistoryDuplicates: true,
  });
  rl.on('history', (lines: string[]) => {
    history = lines;
  });
  rl.on('SIGINT', () => {
    if (rl.line === '') return rl.close();
    streams.output.write('^C\n');
    rl.write(null, { ctrl: true, name: 'u' });
    rl.prompt();
  });
  streams.output.write('multistore shell: type help for the commands, quit (or Ctrl-D) to leave\n');
  let failures = 0;
  let line = 0;
  let quit = false;
  rl.setPrompt(promptOf(shell));
  rl.prompt();
  for await (const text of rl) {
    line++;
    const reply = await shell.run(text, line);
    print(forTerminal(reply, text), streams, '');
    if (reply.error !== undefined) failures++;
    quit = reply.quit === true;
    if (quit) break;
    rl.setPrompt(promptOf(shell));
    rl.prompt();
  }
  rl.close();
  if (!quit) streams.output.write('\n'); // Ctrl-D / Ctrl-C leave the cursor after the prompt
  saveHistory(file, history);
  return failures + unfinishedBatch(shell, streams) + unfinishedTransactions(shell, streams);
}

/** The prompt shows the current version, whether a batch is open, and the open transactions. */
export function promptOf(shell: ShellSession): string {
  const names = shell.transactions;
  const open = names.length === 0 ? '' : ` [${names.join(' ')}]`;
  return `multistore v${shell.version}${shell.inBatch ? ' batch' : ''}${open}> `;
}

/** On a terminal a command that printed nothing says `ok` (blank and comment lines stay silent). */
function forTerminal(reply: ShellReply, text: string): ShellReply {
  if (reply.lines.length > 0 || reply.error !== undefined || reply.quit) return reply;
  const trimmed = text.trim();
  const silent = trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('//');
  return silent ? reply : { lines: ['ok'] };
}

function print(reply: ShellReply, streams: ShellStreams, where: string): void {
  for (const line of reply.lines) streams.output.write(`${line}\n`);
  if (reply.error !== undefined) streams.errors.write(`error: ${where}${reply.error}\n`);
}

/** Transactions still open when the input ends are rolled back, and reported (their writes are lost). */
function unfinishedTransactions(shell: ShellSession, streams: ShellStreams): number {
  const names = shell.transactions;
  shell.rollbackAll();
  for (const name of names) {
    streams.errors.write(`error: transaction ${name} was never committed: it was rolled back\n`);
  }
  return names.length;
}

function unfinishedBatch(shell: ShellSession, streams: ShellStreams): number {
  if (!shell.inBatch) return 0;
  streams.errors.write('error: the open batch was never committed: its writes were discarded\n');
  return 1;
}

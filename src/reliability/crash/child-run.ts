/**
 * One life of a crash-test child: spawn it, listen, SIGKILL it, wait for its end.
 *
 * ```
 *   spawn ──"started v"──► kill timer (delay) ──SIGKILL──► 'close' ──► ChildLife
 *     │ kill 'at-spawn': the timer starts at spawn, not at "started"
 *     │ 'self-exit': no kill; the child stops after --max-commits
 *     └ a child that never starts, never ends or crashes on its own is
 *       killed after a generous timeout and reported, never waited on forever
 * ```
 *
 * The child's stdout is a file, not a pipe, and the parent polls it every
 * {@link POLL_MS} ms. With a pipe, every "ack" line would wake the parent,
 * and on a loaded machine the scheduler then tends to run the parent's kill
 * right after the child's `write(2)`: the kills would cluster between
 * commits instead of landing anywhere (inside a commit's transaction too).
 * A line written before the SIGKILL is in the page cache, so the file read
 * after 'close' still holds every acknowledgement the child made.
 *
 * @module
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** When the parent kills the child. */
export type KillMode = 'at-spawn' | 'at-start' | 'running' | 'self-exit';

/** Everything one child is run with. */
export interface ChildPlan {
  readonly path: string;
  readonly seed: number;
  readonly runSeed: number;
  readonly kill: KillMode;
  /** Milliseconds after spawn ('at-spawn') or after "started" (the others). */
  readonly delayMs: number;
  readonly maxCommits: number | undefined;
  readonly warmupMs: number;
  readonly mode: 'event-loop' | 'inline';
  /** The child store's SQLite locking (the check after it reopens with `normal`). */
  readonly locking: 'normal' | 'exclusive';
  /** How the child commits: `commit`, or `commitAsync` grouped per burst, acked once durable. */
  readonly commits: 'sync' | 'grouped';
  readonly dropWorker: {
    readonly batchSize: number;
    readonly flushIntervalMs: number;
    readonly mailboxCapacity: number;
  };
  /** The file the child's stdout goes to (the parent polls it). */
  readonly outputPath: string;
  /** Kill a child that has not started, or not ended, after this long. */
  readonly timeoutMs: number;
}

/** What one child did, as the parent saw it. */
export interface ChildLife {
  /** The latest version the child found at open, if it said "started". */
  readonly startVersion: number | undefined;
  /** Versions acknowledged, in order. */
  readonly acked: readonly number[];
  /** The child said "done" (stopped by itself after a clean close). */
  readonly finished: boolean;
  /** The parent sent SIGKILL as planned. */
  readonly killed: boolean;
  /** The parent had to kill it after the timeout. */
  readonly timedOut: boolean;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The spawn itself failed (no process). */
  readonly spawnError: string | undefined;
  /** When the SIGKILL was sent: ms after "started" was seen (after spawn if it never was). */
  readonly killedAfterMs: number | undefined;
  /** Requests parked behind the child's snapshot at its last `parked` line. */
  readonly parked: number;
  /** Protocol lines that made no sense. */
  readonly garbage: readonly string[];
  /** The tail of the child's stderr. */
  readonly stderr: string;
}

const CHILD_ENTRY = fileURLToPath(new URL('./child.js', import.meta.url));
const STDERR_LIMIT = 4000;
/** How often the parent looks at the child's stdout file. */
const POLL_MS = 2;

function childArgs(plan: ChildPlan): string[] {
  const args = [
    CHILD_ENTRY,
    `--path=${plan.path}`,
    `--seed=${plan.seed}`,
    `--run-seed=${plan.runSeed}`,
    `--warmup-ms=${plan.warmupMs}`,
    `--mode=${plan.mode}`,
    `--locking=${plan.locking}`,
    `--commits=${plan.commits}`,
    `--batch-size=${plan.dropWorker.batchSize}`,
    `--flush-interval-ms=${plan.dropWorker.flushIntervalMs}`,
    `--mailbox-capacity=${plan.dropWorker.mailboxCapacity}`,
  ];
  if (plan.maxCommits !== undefined) args.push(`--max-commits=${plan.maxCommits}`);
  return args;
}

/** Run one child to its end (killed, exited or timed out). Never rejects. */
export function runChild(plan: ChildPlan): Promise<ChildLife> {
  return new Promise((resolve) => {
    const output = openSync(plan.outputPath, 'w+');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, childArgs(plan), { stdio: ['ignore', output, 'pipe'] });
    } catch (error) {
      closeSync(output);
      const life = new LifeRecorder();
      life.spawnError = String(error);
      resolve(life.result());
      return;
    }
    new ChildWatch(plan, child, output, resolve).start();
  });
}

/** Watches one spawned child: polls its output, kills it on plan, reports its end once. */
class ChildWatch {
  readonly #plan: ChildPlan;
  readonly #child: ChildProcess;
  readonly #output: number;
  readonly #reader: OutputReader;
  readonly #resolve: (life: ChildLife) => void;
  readonly #life = new LifeRecorder();
  readonly #timers = new TimerSet();
  readonly #spawnedAt = performance.now();
  #killArmed = false;
  #ended = false;

  constructor(
    plan: ChildPlan,
    child: ChildProcess,
    output: number,
    resolve: (life: ChildLife) => void,
  ) {
    this.#plan = plan;
    this.#child = child;
    this.#output = output;
    this.#reader = new OutputReader(output);
    this.#resolve = resolve;
  }

  start(): void {
    const child = this.#child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => this.#life.onStderr(chunk));
    child.on('error', (error) => {
      this.#life.spawnError = error.message;
      // No process came to be: there will be no 'close' to wait for.
      if (child.pid === undefined) this.#end(null, null);
    });
    child.on('close', (code, signal) => this.#end(code, signal));
    this.#timers.repeat(() => this.#poll(), POLL_MS);
    if (this.#plan.kill === 'at-spawn')
      this.#timers.once(() => this.#kill(false), this.#plan.delayMs);
    this.#timers.once(() => this.#kill(true), this.#plan.timeoutMs);
  }

  /** Read new output; once "started" is seen, arm the planned kill. */
  #poll(): void {
    this.#life.onData(this.#reader.read());
    if (this.#life.startedAt === undefined || this.#killArmed) return;
    this.#killArmed = true;
    const { kill, delayMs } = this.#plan;
    if (kill === 'at-start' || kill === 'running')
      this.#timers.once(() => this.#kill(false), delayMs);
  }

  #kill(timedOut: boolean): void {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (timedOut) this.#life.timedOut = true;
    else this.#life.killed = true;
    this.#life.killedAfterMs = performance.now() - (this.#life.startedAt ?? this.#spawnedAt);
    child.kill('SIGKILL');
  }

  #end(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#timers.clear();
    this.#life.onData(this.#reader.read());
    closeSync(this.#output);
    this.#life.exitCode = code;
    this.#life.signal = signal;
    this.#resolve(this.#life.result());
  }
}

/** Reads what the child appended to its stdout file since the last call. */
class OutputReader {
  readonly #fd: number;
  readonly #buffer = Buffer.alloc(64 * 1024);
  #offset = 0;

  constructor(fd: number) {
    this.#fd = fd;
  }

  read(): string {
    let text = '';
    for (;;) {
      const count = readSync(this.#fd, this.#buffer, 0, this.#buffer.length, this.#offset);
      if (count === 0) return text;
      this.#offset += count;
      text += this.#buffer.toString('latin1', 0, count);
    }
  }
}

/** Timers of one child, cleared together when it ends. */
class TimerSet {
  readonly #timeouts: NodeJS.Timeout[] = [];
  readonly #intervals: NodeJS.Timeout[] = [];

  once(action: () => void, ms: number): void {
    this.#timeouts.push(setTimeout(action, ms));
  }

  repeat(action: () => void, ms: number): void {
    this.#intervals.push(setInterval(action, ms));
  }

  clear(): void {
    for (const handle of this.#timeouts) clearTimeout(handle);
    for (const handle of this.#intervals) clearInterval(handle);
  }
}

/** Parses the child's protocol lines as they arrive. */
class LifeRecorder {
  startVersion: number | undefined;
  readonly acked: number[] = [];
  finished = false;
  killed = false;
  timedOut = false;
  exitCode: number | null = null;
  signal: NodeJS.Signals | null = null;
  spawnError: string | undefined;
  readonly garbage: string[] = [];
  stderr = '';
  /** When the parent saw "started" (performance.now()). */
  startedAt: number | undefined;
  killedAfterMs: number | undefined;
  parked = 0;
  #partial = '';

  onData(chunk: string): void {
    if (chunk === '') return;
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) this.#onLine(line);
  }

  onStderr(chunk: string): void {
    this.stderr = (this.stderr + chunk).slice(-STDERR_LIMIT);
  }

  #onLine(line: string): void {
    const match = /^(started|ack|done|parked) (\d+)$/.exec(line);
    const version = Number(match?.[2]);
    if (match === null || !Number.isSafeInteger(version)) {
      this.garbage.push(line);
    } else if (match[1] === 'started' && this.startVersion === undefined) {
      this.startVersion = version;
      this.startedAt = performance.now();
    } else if (match[1] === 'ack') {
      this.acked.push(version);
    } else if (match[1] === 'parked') {
      this.parked = version;
    } else if (match[1] === 'done') {
      this.finished = true;
    } else {
      this.garbage.push(line);
    }
  }

  result(): ChildLife {
    if (this.#partial !== '') this.garbage.push(`${this.#partial} (unterminated)`);
    return {
      startVersion: this.startVersion,
      acked: [...this.acked],
      finished: this.finished,
      killed: this.killed,
      timedOut: this.timedOut,
      exitCode: this.exitCode,
      signal: this.signal,
      spawnError: this.spawnError,
      killedAfterMs: this.killedAfterMs,
      parked: this.parked,
      garbage: [...this.garbage],
      stderr: this.stderr,
    };
  }
}

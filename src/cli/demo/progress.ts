/**
 * Progress of the demo, on stderr (stdout keeps only the report).
 *
 * On a terminal: a `cli-progress` bar, redrawn at most 10 times a second.
 * Elsewhere (a pipe, a CI log, a test): a few plain lines, one per quarter,
 * so logs stay short and readable.
 *
 * ```
 *   demo [==========----------]  48% | 11,234 commits | 1,170 commits/s | 9.6 s
 *   demo: 25% (5,020 commits, 4.9 s)        <- plain lines when stderr is not a TTY
 * ```
 *
 * @module
 */

import cliProgress from 'cli-progress';
import type { DemoProgress } from './run.js';

/** Steps of the bar: fine enough for a smooth bar, coarse enough to be cheap. */
const STEPS = 1_000;
const QUARTERS = [0.25, 0.5, 0.75, 1] as const;

/** A progress reporter for `stream`: a bar on a TTY, plain lines otherwise. */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): DemoProgress {
  return stream.isTTY === true ? new BarProgress(stream) : new LineProgress(stream);
}

/** A `cli-progress` bar. */
class BarProgress implements DemoProgress {
  readonly #bar: cliProgress.SingleBar;
  #started = false;

  constructor(stream: NodeJS.WriteStream) {
    this.#bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'demo [{bar}] {percentage}% | {commits} commits | {rate} commits/s | {seconds} s',
        barsize: 30,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(commits: number, fraction: number, elapsedSeconds: number): void {
    const payload = {
      commits: commits.toLocaleString('en-US'),
      rate: rate(commits, elapsedSeconds),
      seconds: elapsedSeconds.toFixed(1),
    };
    const value = Math.round(fraction * STEPS);
    if (this.#started) this.#bar.update(value, payload);
    else this.#bar.start(STEPS, value, payload);
    this.#started = true;
  }

  stop(): void {
    if (this.#started) this.#bar.stop();
    this.#started = false;
  }
}

/** Plain lines at 25, 50, 75 and 100 %. */
class LineProgress implements DemoProgress {
  readonly #stream: NodeJS.WritableStream;
  #nextQuarter = 0;
  #last: { commits: number; seconds: number } | undefined;

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
  }

  update(commits: number, fraction: number, elapsedSeconds: number): void {
    this.#last = { commits, seconds: elapsedSeconds };
    while ((QUARTERS[this.#nextQuarter] ?? Number.POSITIVE_INFINITY) <= fraction) {
      this.#print(QUARTERS[this.#nextQuarter] as number);
      this.#nextQuarter++;
    }
  }

  /** A run cut short (Ctrl-C) still ends with a line. */
  stop(): void {
    if (this.#last !== undefined && this.#nextQuarter < QUARTERS.length) this.#print(undefined);
    this.#nextQuarter = QUARTERS.length;
  }

  #print(quarter: number | undefined): void {
    const { commits, seconds } = this.#last ?? { commits: 0, seconds: 0 };
    const done = quarter === undefined ? 'stopped' : `${quarter * 100}%`;
    this.#stream.write(
      `demo: ${done} (${commits.toLocaleString('en-US')} commits, ${seconds.toFixed(1)} s)\n`,
    );
  }
}

function rate(commits: number, seconds: number): string {
  return seconds > 0 ? Math.round(commits / seconds).toLocaleString('en-US') : '-';
}

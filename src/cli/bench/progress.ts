/**
 * Progress of a benchmark run, on stderr, so the tables on stdout stay clean.
 *
 * ```
 *   both stdout and stderr are terminals   a progress bar, cleared at the end
 *   otherwise (piped, redirected, CI)      one line per child, when it ends:
 *     bench [12/324] W3 deep sqlite multistore-sqlite round 2/5: 3.4s
 *   --quiet                                nothing
 * ```
 *
 * A bar written into a file or a pipe would be a mess of carriage returns,
 * and a silent run of many minutes looks hung: hence the lines.
 *
 * @module
 */

import cliProgress from 'cli-progress';
import type { ProgressEvent } from './harness.js';
import { formatDuration } from './report.js';

/** How progress is shown. */
export type ProgressMode = 'bar' | 'lines' | 'quiet';

/** Receives the harness's events; `stop` once the run is over (even on failure). */
export interface ProgressReporter {
  readonly onProgress: ((event: ProgressEvent) => void) | undefined;
  stop(): void;
}

/** A reporter for `mode`, writing lines through `writeLine`. */
export function progressReporter(
  mode: ProgressMode,
  writeLine: (line: string) => void,
): ProgressReporter {
  if (mode === 'quiet') return { onProgress: undefined, stop: () => {} };
  if (mode === 'lines') {
    return {
      onProgress: (event) => {
        if (event.kind === 'done') writeLine(progressLine(event));
      },
      stop: () => {},
    };
  }
  return barReporter();
}

/** The line of a finished child. */
export function progressLine(event: ProgressEvent): string {
  const elapsed = formatDuration(event.elapsedMs ?? 0);
  return `bench [${event.done}/${event.total}] ${event.what}: ${elapsed}`;
}

function barReporter(): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'bench [{bar}] {value}/{total} | {what}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress: (event) => {
      if (!started) bar.start(event.total, event.done, { what: event.what });
      started = true;
      bar.update(event.done, { what: event.what });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

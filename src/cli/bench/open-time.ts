/**
 * W8, open time: how long a fresh process takes to open a SQLite file and
 * answer one `get`, for two file sizes.
 *
 * The store keeps its statistics and pending drop requests in the file, so
 * opening reads neither data nor history: the time should not grow with the
 * file. W8 builds two files (N x 10 and N x 100 stored versions: 1,000,000
 * and 10,000,000 in the full run, 100,000 and 1,000,000 with `--quick`), 20
 * versions per key, then times `MultiStore.open` + one `get` in a fresh
 * child process per round (the native driver's loading included, as a user
 * pays it), median of the rounds:
 *
 * ```
 *   build (once per size, untimed)   open-child.js build FILE VERSIONS
 *   round (fresh process each)       open-child.js open FILE   -> { ms, cpuMs, version }
 *   targets                          small file under 50 ms; large file within 2x of the small one
 * ```
 *
 * It lives apart from the W1-W7 harness (no peer, milliseconds rather than
 * operations per second); `bench` runs it after them when the SQLite tier is
 * measured.
 *
 * @module
 */

import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BenchError } from './errors.js';
import { median } from './figures.js';

const execFileAsync = promisify(execFile);
const CHILD_SCRIPT = fileURLToPath(new URL('./open-child.js', import.meta.url));

/** Target of the small file's median, in milliseconds. */
export const OPEN_TARGET_MS = 50;
/** Most the large file's median may be, as a multiple of the small file's. */
export const OPEN_GROWTH_TARGET = 2;

/** How to run W8. */
export interface OpenTimeOptions {
  /** N of the run: the files hold N x 10 and N x 100 versions. */
  readonly n: number;
  readonly rounds: number;
  readonly root: string;
  /** Told before and after each child (a build or an open), like the harness's progress. */
  readonly onProgress?: (step: OpenTimeStep) => void;
}

/** One W8 child starting or finished. */
export interface OpenTimeStep {
  readonly kind: 'start' | 'done';
  /** What the child does: `W8 open 20,000 versions round 2/3`. */
  readonly what: string;
  /** `done` only: the child's wall time. */
  readonly elapsedMs?: number;
}

/** W8 figures of one file. */
export interface OpenTimeFigures {
  readonly versions: number;
  readonly fileBytes: number;
  readonly buildMs: number;
  readonly medianMs: number;
  /** Milliseconds of every round, in run order. */
  readonly rounds: readonly number[];
  /** Median CPU milliseconds of the opening process (what a busy machine does not inflate). */
  readonly medianCpuMs: number;
}

/** What W8 measured. */
export interface OpenTimeReport {
  readonly files: readonly OpenTimeFigures[];
  /** Large file's median over the small file's. */
  readonly growth: number;
  readonly met: boolean;
}

/** Versions each key of a W8 file holds. */
export const W8_DEPTH = 20;
/** Writes per commit when a W8 file is built. */
export const W8_PER_COMMIT = 50_000;
/** The key every `open` round reads (every file holds it: the smallest, of the unit test, 100 keys). */
export const W8_READ_KEY = 45;

/** The version the read key's newest write has in a file of `versions` versions. */
export function readKeyVersion(versions: number): number {
  const commitsPerRound = Math.ceil(Math.ceil(versions / W8_DEPTH) / W8_PER_COMMIT);
  return (W8_DEPTH - 1) * commitsPerRound + 1;
}

/** The two file sizes of a run of size `n`. */
export function openTimeSizes(n: number): [number, number] {
  return [n * 10, n * 100];
}

/** Children W8 starts with `rounds` rounds: per file, one build and one open a round. */
export function openTimeChildren(n: number, rounds: number): number {
  return openTimeSizes(n).length * (1 + rounds);
}

/** Build both files, time their opens, remove them. */
export async function runOpenTime(options: OpenTimeOptions): Promise<OpenTimeReport> {
  const dir = await mkdtemp(join(options.root, 'W8-'));
  try {
    const files: OpenTimeFigures[] = [];
    for (const versions of openTimeSizes(options.n)) {
      files.push(await measureFile(join(dir, `open-${versions}.db`), versions, options));
    }
    const [small, large] = files as [OpenTimeFigures, OpenTimeFigures];
    const growth = large.medianMs / small.medianMs;
    return {
      files,
      growth,
      met: small.medianMs < OPEN_TARGET_MS && growth <= OPEN_GROWTH_TARGET,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function measureFile(
  path: string,
  versions: number,
  options: OpenTimeOptions,
): Promise<OpenTimeFigures> {
  const size = `${versions.toLocaleString('en-US')} versions`;
  const build = await child(['build', path, String(versions)], `W8 build ${size}`, options);
  const built = JSON.parse(build) as { ms: number };
  const rounds: number[] = [];
  const cpu: number[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const what = `W8 open ${size} round ${round}/${options.rounds}`;
    const opened = JSON.parse(await child(['open', path], what, options)) as {
      ms: number;
      cpuMs: number;
      version: number;
    };
    const expected = readKeyVersion(versions);
    if (opened.version !== expected)
      throw new BenchError(`W8: the get read version ${opened.version}, expected ${expected}`);
    rounds.push(opened.ms);
    cpu.push(opened.cpuMs);
  }
  const { size: fileBytes } = await stat(path);
  const medianCpuMs = median(cpu);
  return { versions, fileBytes, buildMs: built.ms, medianMs: median(rounds), rounds, medianCpuMs };
}

/** Run one child, telling progress before and after; its last line of output. */
async function child(
  args: readonly string[],
  what: string,
  { onProgress }: OpenTimeOptions,
): Promise<string> {
  onProgress?.({ kind: 'start', what });
  const started = performance.now();
  try {
    const { stdout } = await execFileAsync(process.execPath, [CHILD_SCRIPT, ...args]);
    onProgress?.({ kind: 'done', what, elapsedMs: performance.now() - started });
    return stdout.trim().split('\n').at(-1) ?? '';
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new BenchError(`W8 ${args[0]} failed: ${stderr || String(error)}`);
  }
}

/** W8 as printable lines. */
export function formatOpenTime(report: OpenTimeReport): string[] {
  const rows = report.files.map((file) => {
    const versions = file.versions.toLocaleString('en-US').padStart(12);
    const mb = (file.fileBytes / 1e6).toFixed(0).padStart(6);
    const cpu = file.medianCpuMs.toFixed(1).padStart(6);
    return `  ${versions} versions  ${mb} MB   median ${file.medianMs.toFixed(1).padStart(7)} ms (CPU ${cpu} ms)  (${file.rounds.length} rounds, built in ${(file.buildMs / 1000).toFixed(0)} s)`;
  });
  const verdict = report.met ? '' : '  !!';
  return [
    'W8 open: a fresh process opens the SQLite file and answers one get',
    ...rows,
    `  large / small: ${report.growth.toFixed(2)} (target <= ${OPEN_GROWTH_TARGET}); small file target < ${OPEN_TARGET_MS} ms${verdict}`,
  ];
}

/**
 * Running the demo: open the store, commit the workload, measure, read back.
 *
 * ```
 *   open (file or memory) ─► read demo:totals:* ─► WORKERS workers, concurrently:
 *        loop: begin ─► read, await, write, totals ─► commit (the next version)
 *              conflict? run the transaction again    │ yield to the event loop
 *        until N commits, S seconds, or Ctrl-C  ◄─────┘
 *   flush ─► stats, drop-worker counters, conflicts retried, time travel ─► close
 * ```
 *
 * Every commit is a transaction (see `workers.ts`): the store picks its
 * version, so versions continue from `store.latestVersion` and a second run
 * on the same file carries on where the first stopped. The running totals of
 * every run live in the store itself (`demo:totals:<worker>`, a retention
 * table keeping one version), written by every commit of that worker: an
 * interrupted run leaves totals that match what it committed.
 *
 * The workers yield to the event loop inside each transaction (between its
 * reads and its commit) and after it: the other worker, the drop worker and
 * its timer run on those turns (event-loop actor mode), as they would in an
 * app serving requests.
 *
 * @module
 */

import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { StorageStats } from '../../stats/figures.js';
import type { DropWorkerStats } from '../../store/drop-worker.js';
import type { MultiStore } from '../../store/multistore.js';
import { openCliStore } from '../open-file.js';
import {
  DemoWorker,
  type RetriedConflict,
  totalsKey,
  WORKERS,
  type WorkerTotals,
} from './workers.js';
import { DEMO_TABLES, DemoWorkload, FEATURED_USER, historyKey } from './workload.js';

/** What to run. */
export interface DemoSettings {
  /** SQLite file, or `undefined` for the memory tier. */
  readonly path: string | undefined;
  /** Stop after this many commits... */
  readonly commits: number;
  /** ...or after this many seconds, whichever comes first. */
  readonly seconds: number;
  /** Stop early (Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** Running totals over every run on one file. */
export type DemoTotals = WorkerTotals;

/** Told about progress after every commit. */
export interface DemoProgress {
  /** `fraction` is of the commit count or of the time budget, whichever is further along. */
  update(commits: number, fraction: number, elapsedSeconds: number): void;
  stop(): void;
}

/** One time-travel read of the featured history key. */
export interface TimeTravelRead {
  readonly readAt: number;
  readonly writtenAt: number | undefined;
  readonly value: string | undefined;
}

/** Everything the report shows. */
export interface DemoResult {
  readonly startVersion: number;
  readonly endVersion: number;
  readonly previous: DemoTotals | undefined;
  readonly run: DemoTotals;
  readonly total: DemoTotals;
  readonly elapsedSeconds: number;
  readonly interrupted: boolean;
  readonly stats: StorageStats;
  readonly dropWorker: DropWorkerStats;
  /** The first conflict a worker retried this run, if any. */
  readonly conflict: RetriedConflict | undefined;
  readonly timeTravel: {
    readonly key: string;
    readonly storedVersions: readonly number[];
    readonly reads: readonly TimeTravelRead[];
  };
}

const EMPTY_TOTALS: DemoTotals = Object.freeze({
  runs: 0,
  commits: 0,
  versionsWritten: 0,
  dropDeltas: 0,
  conflictsRetried: 0,
});

/** Open the store of `settings`. */
export function openDemoStore(path: string | undefined): MultiStore {
  return openCliStore({
    ...(path === undefined ? { tier: 'memory' as const } : { path }),
    tables: DEMO_TABLES,
  });
}

/** Run the demo on `store` (which it closes, also on failure), reporting progress. */
export async function runDemo(
  store: MultiStore,
  settings: DemoSettings,
  progress: DemoProgress,
): Promise<DemoResult> {
  try {
    const startVersion = store.latestVersion;
    const stored = readTotals(store);
    const previous = stored.every((totals) => totals === undefined)
      ? undefined
      : sumTotals(stored.map((totals) => totals ?? EMPTY_TOTALS));
    const loop = await commitLoop(store, settings, progress, stored);
    await store.flush();
    return {
      startVersion,
      endVersion: store.latestVersion,
      previous,
      run: loop.run,
      total: addTotals(previous ?? EMPTY_TOTALS, loop.run),
      elapsedSeconds: loop.elapsedSeconds,
      interrupted: settings.signal?.aborted === true,
      stats: store.stats(),
      dropWorker: store.dropWorkerStats(),
      conflict: loop.conflict,
      timeTravel: timeTravel(store),
    };
  } finally {
    progress.stop();
    await store.close();
  }
}

async function commitLoop(
  store: MultiStore,
  settings: DemoSettings,
  progress: DemoProgress,
  stored: readonly (DemoTotals | undefined)[],
): Promise<{ run: DemoTotals; elapsedSeconds: number; conflict: RetriedConflict | undefined }> {
  const workload = new DemoWorkload(store.latestVersion + 1, (key) => store.get(key)?.value);
  const workers = stored.map(
    (totals, id) => new DemoWorker(store, workload, id, totals ?? EMPTY_TOTALS),
  );
  const started = performance.now();
  let run: DemoTotals = { ...EMPTY_TOTALS, runs: 1 };
  let claimed = 0;
  const elapsed = () => (performance.now() - started) / 1_000;
  const more = () =>
    claimed < settings.commits && elapsed() < settings.seconds && !settings.signal?.aborted;
  const loop = async (worker: DemoWorker) => {
    while (more()) {
      claimed++;
      const tick = await worker.tick();
      run = {
        runs: 1,
        commits: run.commits + 1,
        versionsWritten: run.versionsWritten + tick.writes,
        dropDeltas: run.dropDeltas + tick.drops,
        conflictsRetried: run.conflictsRetried + tick.conflicts,
      };
      const fraction = Math.max(run.commits / settings.commits, elapsed() / settings.seconds);
      progress.update(run.commits, Math.min(1, fraction), elapsed());
      await nextTurn();
    }
  };
  await Promise.all(workers.map(loop));
  const conflict = workers.map((worker) => worker.firstConflict).find((c) => c !== undefined);
  return { run, elapsedSeconds: elapsed(), conflict };
}

/**
 * The totals each worker stored in earlier runs (`undefined` for a worker
 * that never wrote them: a new store, or one the demo never wrote).
 */
function readTotals(store: MultiStore): (DemoTotals | undefined)[] {
  return Array.from({ length: WORKERS }, (_, worker) => {
    const stored = store.get(totalsKey(worker))?.value;
    if (stored === undefined) return undefined;
    try {
      const parsed = JSON.parse(new TextDecoder().decode(stored)) as Partial<DemoTotals>;
      return {
        runs: count(parsed.runs),
        commits: count(parsed.commits),
        versionsWritten: count(parsed.versionsWritten),
        dropDeltas: count(parsed.dropDeltas),
        conflictsRetried: count(parsed.conflictsRetried),
      };
    } catch {
      return undefined;
    }
  });
}

/** The workers' totals added up (runs: every worker takes part in every run). */
function sumTotals(all: readonly DemoTotals[]): DemoTotals {
  const sum = all.reduce(addTotals, EMPTY_TOTALS);
  return { ...sum, runs: Math.max(...all.map((totals) => totals.runs)) };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

function addTotals(a: DemoTotals, b: DemoTotals): DemoTotals {
  return {
    runs: a.runs + b.runs,
    commits: a.commits + b.commits,
    versionsWritten: a.versionsWritten + b.versionsWritten,
    dropDeltas: a.dropDeltas + b.dropDeltas,
    conflictsRetried: a.conflictsRetried + b.conflictsRetried,
  };
}

/**
 * Read the featured user's history key at three versions spread over what is
 * still stored: a quarter and three quarters of the way, and the latest.
 * The first two are moved to versions that did not write the key (when there
 * is one), so the value shown comes from an older commit, as time travel does.
 */
function timeTravel(store: MultiStore): DemoResult['timeTravel'] {
  const key = historyKey(FEATURED_USER);
  const storedVersions = store.versions(key).map((stored) => stored.version);
  const oldest = storedVersions.at(-1);
  const latest = store.latestVersion;
  if (oldest === undefined) return { key, storedVersions, reads: [] };
  const written = new Set(storedVersions);
  const between = (fraction: number) => {
    let version = oldest + Math.floor((latest - oldest) * fraction);
    while (version > oldest && written.has(version)) version--;
    return version;
  };
  const readVersions = [...new Set([between(0.25), between(0.75), latest])];
  const decoder = new TextDecoder();
  const reads = readVersions.map((readAt) => {
    const entry = store.get(key, readAt);
    return {
      readAt,
      writtenAt: entry?.version,
      value: entry === undefined ? undefined : decoder.decode(entry.value),
    };
  });
  return { key, storedVersions, reads };
}

/**
 * Running the demo: open the store, commit the workload, measure, read back.
 *
 * ```
 *   open (file or memory) ─► read demo:totals ─► loop: next deltas + totals ─► commit at V+1
 *                                                 │    yield to the event loop (drop worker, progress)
 *                                                 └─ until N commits, S seconds, or Ctrl-C
 *   flush ─► stats, drop-worker counters, time travel on one history key ─► close
 * ```
 *
 * Versions continue from `store.latestVersion`, so a second run on the same
 * file carries on where the first stopped. The running totals of every run
 * live in the store itself (`demo:totals`, a retention table keeping one
 * version), written in every commit: an interrupted run leaves totals that
 * match what it committed.
 *
 * The loop yields to the event loop after each commit: the drop worker and
 * its timer run on later turns (event-loop actor mode), as they would in an
 * app serving requests. Without the yields every drop would be applied by
 * backpressure on the committing turn.
 *
 * @module
 */

import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { StorageStats } from '../../stats/figures.js';
import type { DropWorkerStats } from '../../store/drop-worker.js';
import { MultiStore } from '../../store/multistore.js';
import { DEMO_TABLES, DemoWorkload, FEATURED_USER, historyKey, TOTALS_KEY } from './workload.js';

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
export interface DemoTotals {
  readonly runs: number;
  readonly commits: number;
  readonly versionsWritten: number;
  readonly dropDeltas: number;
}

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
});

/** Open the store of `settings`. */
export function openDemoStore(path: string | undefined): MultiStore {
  return MultiStore.open({
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
    const previous = readTotals(store);
    const loop = await commitLoop(store, settings, progress, previous ?? EMPTY_TOTALS);
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
  previous: DemoTotals,
): Promise<{ run: DemoTotals; elapsedSeconds: number }> {
  const workload = new DemoWorkload(store.latestVersion + 1, (key) => store.get(key)?.value);
  const encoder = new TextEncoder();
  const started = performance.now();
  let run: DemoTotals = { ...EMPTY_TOTALS, runs: 1 };
  let elapsed = 0;
  while (
    run.commits < settings.commits &&
    elapsed < settings.seconds &&
    !settings.signal?.aborted
  ) {
    const version = store.latestVersion + 1;
    const commit = workload.next(version);
    run = {
      runs: 1,
      commits: run.commits + 1,
      versionsWritten: run.versionsWritten + commit.writes + 1,
      dropDeltas: run.dropDeltas + commit.drops,
    };
    const totals = encoder.encode(JSON.stringify(addTotals(previous, run)));
    store.commit([...commit.deltas, { type: 'set', key: TOTALS_KEY, value: totals }], version);
    elapsed = (performance.now() - started) / 1_000;
    const fraction = Math.max(run.commits / settings.commits, elapsed / settings.seconds);
    progress.update(run.commits, Math.min(1, fraction), elapsed);
    await nextTurn();
  }
  return { run, elapsedSeconds: (performance.now() - started) / 1_000 };
}

/** The totals stored by earlier runs, or `undefined` (a new store, or one the demo never wrote). */
function readTotals(store: MultiStore): DemoTotals | undefined {
  const stored = store.get(TOTALS_KEY)?.value;
  if (stored === undefined) return undefined;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(stored)) as Partial<DemoTotals>;
    return {
      runs: count(parsed.runs),
      commits: count(parsed.commits),
      versionsWritten: count(parsed.versionsWritten),
      dropDeltas: count(parsed.dropDeltas),
    };
  } catch {
    return undefined;
  }
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

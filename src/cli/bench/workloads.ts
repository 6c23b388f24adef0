/**
 * The seven workloads, each a function of (subject, sizes, seed), on one
 * data shape (sizes.ts).
 *
 * A workload has three parts, and only the middle one is timed:
 *
 * ```
 *   prepare   generate data from the seed, load the history (W1, W3-W6), settle, gc
 *   timed     the operations themselves (writes and drops: until settled)
 *   check     read back a sample (or every key) to prove the work was done
 * ```
 *
 * ```
 *   W1 insert          N new keys beside the loaded history, commits of 100
 *   W2 update          N writes over the shape's keys, round-robin, commits of 100
 *   W3 get latest      N gets of random history keys at the newest version
 *   W4 get historical  N gets of random history keys at random versions
 *   W5 scan            scans of 1,000 consecutive keys at random versions (ops: entries)
 *   W6 drop            per key, drop all but the newest version (ops: keys), until flushed
 *   W7 retention       W2 on a keepLastVersions: 1 table, and on a plain table
 *   W9 transactions    N increments (read, add one, write), 10 keys per transaction,
 *                      and the same in plain commits (get, then commit the sets)
 *   W10 contention     W9 on 50 hot keys, 4 transactions open at a time, first
 *                      committer wins and the others run again; and in plain commits
 * ```
 *
 * The check yields a checksum that depends only on the data, never on the
 * implementation: the harness compares it across the implementations of a
 * group, so a peer that silently did less work cannot win. W6 and W7 also
 * require every key to hold exactly one version once settled, and throw if
 * one does not. W9 and W10 require the counters to add up to N (no increment
 * lost, none applied twice), and W10's transactions to have conflicted.
 *
 * Asynchronous engines return promises (subject.ts): each loop awaits a
 * result only when it is one, so the same loop times both kinds fairly.
 *
 * @module
 */

import {
  counterData,
  dropGroups,
  historyData,
  INCREMENTS_PER_TRANSACTION,
  insertData,
  pointReads,
  scanPlan,
  updateData,
  type WriteData,
} from './data.js';
import { BenchError } from './errors.js';
import type { WorkloadId } from './plan.js';
import type { Sizes } from './sizes.js';
import type { BenchSubject } from './subject.js';

/** What one workload run measured. */
export interface Measurement {
  /** Operations timed: writes, gets, entries scanned, or keys dropped. */
  readonly ops: number;
  readonly elapsedMs: number;
  /** Same for every implementation of a group (see the module comment). */
  readonly checksum: number;
  /** W6, W7: fewest and most versions a key holds after settling. */
  readonly versionsPerKey?: { readonly min: number; readonly max: number };
  /** W10: transactions that conflicted and were run again. */
  readonly conflicts?: number;
}

/** What a workload needs besides the subject. */
export interface WorkloadContext {
  readonly sizes: Sizes;
  readonly seed: number;
  /** W7 on a retention table: every key must end with one version. */
  readonly retention: boolean;
  /** W9, W10: the subject was opened to increment in transactions (else in plain commits). */
  readonly transactional?: boolean;
}

type Workload = (subject: BenchSubject, context: WorkloadContext) => Promise<Measurement>;

/** Keys read back by the checks of the write workloads. */
const CHECK_SAMPLE = 100;
/** W10: transactions open at a time. */
export const CONTENDING = 4;

/** Collect garbage when the child runs with `--expose-gc` (it always does). */
export const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** Run `workload` on `subject`. */
export function runWorkload(
  workload: WorkloadId,
  subject: BenchSubject,
  context: WorkloadContext,
): Promise<Measurement> {
  return WORKLOAD_RUNNERS[workload](subject, context);
}

const WORKLOAD_RUNNERS: Readonly<Record<WorkloadId, Workload>> = Object.freeze({
  W1: async (subject, context) => {
    await loadHistory(subject, context);
    const first = context.sizes.historyVersions + 1;
    return timedWrites(subject, insertData(context.sizes, context.seed, first));
  },
  W2: (subject, { sizes, seed }) => timedWrites(subject, updateData(sizes, seed)),
  W3: (subject, context) => timedGets(subject, context, true),
  W4: (subject, context) => timedGets(subject, context, false),
  W5: timedScans,
  W6: timedDrops,
  W7: async (subject, { sizes, seed, retention }) => {
    const data = updateData(sizes, seed);
    const measured = await timedWrites(subject, data);
    const versionsPerKey = await countVersions(subject, data.keys, 'W7');
    if (retention && (versionsPerKey.min !== 1 || versionsPerKey.max !== 1)) {
      throw new BenchError(
        `W7: after flush a keepLastVersions: 1 table must hold exactly one version per key, found ${versionsPerKey.min}..${versionsPerKey.max}`,
      );
    }
    return { ...measured, versionsPerKey };
  },
  W9: (subject, context) => timedIncrements(subject, context, false),
  W10: (subject, context) => timedIncrements(subject, context, true),
});

/**
 * Time N increments, 10 keys per commit: one transaction at a time (W9), or
 * {@link CONTENDING} at a time on the hot keys (W10); then check that the
 * counters add up.
 */
async function timedIncrements(
  subject: BenchSubject,
  context: WorkloadContext,
  hot: boolean,
): Promise<Measurement> {
  const workload = hot ? 'W10' : 'W9';
  const increment = subject.increment?.bind(subject);
  const counter = subject.counter?.bind(subject);
  if (increment === undefined || counter === undefined) {
    throw new BenchError(`${workload}: this implementation has no read-modify-write transactions`);
  }
  const data = counterData(context.sizes, context.seed, hot);
  gc();
  const started = process.hrtime.bigint();
  const done = increment(data.transactions, hot ? CONTENDING : 1);
  const conflicts = typeof done === 'number' ? done : await done;
  await subject.settle();
  const elapsedMs = sinceMs(started);
  const ops = data.transactions.length * INCREMENTS_PER_TRANSACTION;
  let checksum = 0;
  for (const key of data.keys) checksum += await counter(key);
  if (checksum !== ops) {
    throw new BenchError(`${workload}: the counters add up to ${checksum} after ${ops} increments`);
  }
  if (hot && context.transactional === true && conflicts === 0) {
    throw new BenchError(`${workload}: no transaction conflicted`);
  }
  return { ops, elapsedMs, checksum, ...(hot && { conflicts }) };
}

/** Time a stream of commits, until the subject has settled. */
async function timedWrites(subject: BenchSubject, data: WriteData): Promise<Measurement> {
  gc();
  const started = process.hrtime.bigint();
  for (const batch of data.batches) {
    const written = subject.write(batch);
    if (written !== undefined) await written;
  }
  await subject.settle();
  const elapsedMs = sinceMs(started);
  const last = data.batches.at(-1)?.version ?? 0;
  return { ops: countWrites(data), elapsedMs, checksum: await readBack(subject, data.keys, last) };
}

/** Load the shape's history, untimed, and wait until it is applied. */
export async function loadHistory(
  subject: BenchSubject,
  context: Pick<WorkloadContext, 'sizes' | 'seed'>,
): Promise<WriteData> {
  const history = historyData(context.sizes, context.seed);
  for (const batch of history.batches) await subject.write(batch);
  await subject.settle();
  return history;
}

async function timedGets(
  subject: BenchSubject,
  context: WorkloadContext,
  latest: boolean,
): Promise<Measurement> {
  const history = await loadHistory(subject, context);
  const { keys, versions } = pointReads(context.sizes, context.seed, history, latest);
  gc();
  const started = process.hrtime.bigint();
  let checksum = 0;
  for (let i = 0; i < keys.length; i++) {
    const found = subject.get(keys[i] as Uint8Array, versions[i] as number);
    checksum += typeof found === 'number' ? found : await found;
  }
  return { ops: keys.length, elapsedMs: sinceMs(started), checksum };
}

async function timedScans(subject: BenchSubject, context: WorkloadContext): Promise<Measurement> {
  const history = await loadHistory(subject, context);
  const scans = scanPlan(context.sizes, context.seed, history);
  gc();
  const started = process.hrtime.bigint();
  let entries = 0;
  let checksum = 0;
  for (const scan of scans) {
    const result = subject.scan(scan.start, scan.end, scan.version);
    const seen = result instanceof Promise ? await result : result;
    entries += seen.entries;
    checksum += seen.versionSum;
  }
  return { ops: entries, elapsedMs: sinceMs(started), checksum };
}

async function timedDrops(subject: BenchSubject, context: WorkloadContext): Promise<Measurement> {
  const dropOld = subject.dropOld?.bind(subject);
  if (dropOld === undefined) throw new BenchError('W6: this implementation cannot drop versions');
  const history = await loadHistory(subject, context);
  const groups = dropGroups(history);
  const firstVersion = context.sizes.historyVersions + 1;
  gc();
  const started = process.hrtime.bigint();
  for (let i = 0; i < groups.length; i++) {
    const dropped = dropOld(groups[i] as Uint8Array[], firstVersion + i);
    if (dropped !== undefined) await dropped;
  }
  await subject.settle();
  const elapsedMs = sinceMs(started);
  const versionsPerKey = await countVersions(subject, history.keys, 'W6');
  if (versionsPerKey.min !== 1 || versionsPerKey.max !== 1) {
    throw new BenchError(
      `W6: after the drops every key must hold one version, found ${versionsPerKey.min}..${versionsPerKey.max}`,
    );
  }
  const checksum = await readBack(subject, history.keys, context.sizes.historyVersions);
  return { ops: history.keys.length, elapsedMs, checksum, versionsPerKey };
}

function countWrites(data: WriteData): number {
  let writes = 0;
  for (const batch of data.batches) writes += batch.keys.length;
  return writes;
}

/** Sum of the versions visible at `version` of a spread sample of `keys`. */
async function readBack(
  subject: BenchSubject,
  keys: readonly Uint8Array[],
  version: number,
): Promise<number> {
  const step = Math.max(1, Math.floor(keys.length / CHECK_SAMPLE));
  let sum = 0;
  for (let i = 0; i < keys.length; i += step)
    sum += await subject.get(keys[i] as Uint8Array, version);
  return sum;
}

async function countVersions(
  subject: BenchSubject,
  keys: readonly Uint8Array[],
  workload: WorkloadId,
): Promise<{ min: number; max: number }> {
  if (subject.versionCount === undefined) {
    throw new BenchError(`${workload}: this implementation cannot count a key's versions`);
  }
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const key of keys) {
    const count = await subject.versionCount(key);
    if (count < min) min = count;
    if (count > max) max = count;
  }
  return { min: keys.length === 0 ? 0 : min, max };
}

function sinceMs(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * The crash test's child: open the store, commit the workload until killed.
 *
 * ```
 *   open(path) ─► "started <latest>" ─► (warm-up) ─► commit v ─► "ack v" ─► commit v+1 ─► ...
 *                                                      bursts of commits, then a turn of the
 *                                                      event loop so the drop worker runs
 *                                                      (and a snapshot begun or ended)
 * ```
 *
 * With `--commits grouped` each commit is a `commitAsync` not awaited: a
 * burst's commits share one write group (one SQLite transaction), and
 * `ack <v>` is written when its promise resolves, after the group's COMMIT.
 * A kill may then find a whole burst written and not acknowledged, never an
 * acknowledged commit missing.
 *
 * Between bursts the child sometimes begins a read-only transaction and
 * keeps it open for a few bursts: the drops that would erase what it reads
 * are parked behind it, so a kill often lands with parked requests as well
 * as queued ones (`parked <n>` after each burst says how many).
 *
 * Protocol on stdout (a file the parent polls), one line each, written with
 * a synchronous `write(2)` on fd 1 so that a line is in the file before the
 * next commit starts: the parent can then count on at most one commit being
 * unacknowledged when the SIGKILL lands (grouped: one burst). `started <v>` after open (v = the latest version found),
 * `ack <v>` after `commit` returned, `parked <n>` after a burst (requests
 * parked behind the open snapshot), `done <v>` after a clean close when
 * `--max-commits` ran out. Any error goes to stderr with exit code 1.
 *
 * @module
 */

import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MultiStore } from '../../store/multistore.js';
import type { Transaction } from '../../store/transaction.js';
import {
  CRASH_TABLE_DECLARATIONS,
  commitDeltas,
  MAX_BURST,
  Rng,
  workloadCommit,
} from './workload.js';

/** Write one protocol line now (retrying while a non-blocking pipe is full). */
function report(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  let written = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(1, bytes, written);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EAGAIN') throw error;
    }
  }
}

function options() {
  const { values } = parseArgs({
    options: {
      path: { type: 'string' },
      seed: { type: 'string' },
      'run-seed': { type: 'string', default: '0' },
      'max-commits': { type: 'string', default: String(Number.MAX_SAFE_INTEGER) },
      'warmup-ms': { type: 'string', default: '0' },
      'batch-size': { type: 'string', default: '100' },
      'flush-interval-ms': { type: 'string', default: '50' },
      'mailbox-capacity': { type: 'string', default: '256' },
      mode: { type: 'string', default: 'event-loop' },
      locking: { type: 'string', default: 'normal' },
      commits: { type: 'string', default: 'sync' },
    },
  });
  if (values.path === undefined || values.seed === undefined)
    throw new Error('usage: child --path FILE --seed S [...]');
  const mode = values.mode === 'inline' ? 'inline' : 'event-loop';
  const locking = values.locking === 'exclusive' ? 'exclusive' : 'normal';
  const grouped = values.commits === 'grouped';
  return {
    grouped,
    path: values.path,
    seed: Number(values.seed),
    runSeed: Number(values['run-seed']),
    maxCommits: Number(values['max-commits']),
    warmupMs: Number(values['warmup-ms']),
    mode,
    locking,
    dropWorker: {
      batchSize: Number(values['batch-size']),
      flushIntervalMs: Number(values['flush-interval-ms']),
      mailboxCapacity: Number(values['mailbox-capacity']),
    },
  } as const;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const config = options();
  const store = MultiStore.open({
    path: config.path,
    tables: CRASH_TABLE_DECLARATIONS,
    actorMode: config.mode,
    dropWorker: config.dropWorker,
    sqlite: { locking: config.locking },
  });
  report(`started ${store.latestVersion}`);
  if (config.warmupMs > 0) await sleep(config.warmupMs);
  const rng = new Rng(config.runSeed, 0x5eed);
  let burst = rng.between(1, MAX_BURST);
  let snapshot: Transaction | undefined;
  const pending: Promise<void>[] = [];
  for (let done = 0; done < config.maxCommits; done++) {
    const version = store.latestVersion + 1;
    const deltas = commitDeltas(config.seed, workloadCommit(config.seed, version));
    if (config.grouped) {
      pending.push(store.commitAsync(deltas, version).then(() => report(`ack ${version}`)));
    } else {
      store.commit(deltas, version);
      report(`ack ${version}`);
    }
    if (--burst > 0) continue;
    burst = rng.between(1, MAX_BURST);
    // A snapshot open for about three bursts out of five.
    if (snapshot === undefined && rng.next() < 0.4) snapshot = store.begin({ readOnly: true });
    else if (snapshot !== undefined && rng.next() < 0.3) {
      snapshot.rollback();
      snapshot = undefined;
    }
    report(`parked ${store.dropWorkerStats().parked}`);
    await (rng.next() < 0.2 ? sleep(rng.below(4)) : nextTurn());
    // The burst's group committed at the end of its turn: every ack is out.
    await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  const latest = store.latestVersion;
  await store.close();
  report(`done ${latest}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`crash child failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exitCode = 1;
});

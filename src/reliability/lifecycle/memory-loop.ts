/**
 * Child process of memory-bound.test.ts: a tight synchronous loop of commits
 * to a retention table, measuring the heap.
 *
 * Run as `node --expose-gc memory-loop.js <commits> <keys> [<leak>]`. A
 * reader held at version 0 keeps the commits on the queued path (without
 * it they would trim in their own step and queue nothing). In
 * event-loop mode a synchronous loop never yields, so the drop worker never
 * gets a turn: its queue fills up to its bound (each key's retention request
 * replacing the one before, each standing for the versions still to erase),
 * and from then on commits apply the oldest requests (backpressure). Memory
 * stays bounded only if that path keeps nothing behind; nor may the event bus, which a listener makes carry
 * every commit's event (in one turn it holds at most its capacity and sheds
 * the rest). The loop:
 *
 * ```
 *   warm-up: 10,000 commits ─► flush ─► gc ─► heap before
 *   loop:    N commits (key i % K, one set per commit, keepLastVersions 1)
 *            ─► flush ─► gc ─► heap after
 * ```
 *
 * It prints one JSON line ({@link LoopReport}) on stdout and exits.
 *
 * `<leak>` (bytes per commit, default 0) is a fault injected for the test
 * that proves the bound can fail: it is a command-line argument of this
 * child only, never an option of the store. The loop then keeps `<leak>`
 * bytes more per commit, as the store would if it leaked them: heap strings
 * of one byte per character, retained in 64 KiB pieces (and a last, shorter
 * one), so the bytes kept are exactly `<leak> x <commits>`, in the JavaScript
 * heap where a leaked request or event would sit.
 *
 * @module
 */

import { utf8 } from '../../common/bytes.js';
import { MultiStore } from '../../store/multistore.js';

/** What the child reports. */
export interface LoopReport {
  readonly commits: number;
  readonly keys: number;
  /** `heapUsed` after the warm-up (+ flush + gc) and after the loop (+ flush + gc). */
  readonly heapBefore: number;
  readonly heapAfter: number;
  /** `arrayBuffers` (typed-array memory outside the heap), at the same two points. */
  readonly buffersBefore: number;
  readonly buffersAfter: number;
  readonly loopMs: number;
  readonly flushMs: number;
  readonly backpressure: number;
  /** Historical versions at the end of the loop, before the flush: the erasures still waiting. */
  readonly historicalBeforeFlush: number;
  /** Events a listener received, and events the bus shed (its queue was full). */
  readonly eventsDelivered: number;
  readonly eventsShed: number;
  readonly requests: number;
  readonly entriesDropped: number;
  readonly failures: number;
  /** Keys holding exactly one version after the flush. */
  readonly keysWithOneVersion: number;
  readonly currentCount: number;
  readonly historicalCount: number;
  /** The injected leak (0: none). */
  readonly leakBytesPerCommit: number;
}

const WARM_UP = 10_000;
const LEAK_PIECE = 64 * 1024;

/** The injected fault: keeps `bytesPerCommit` bytes per commit, for good. */
class InjectedLeak {
  readonly #kept: string[] = [];
  #owed = 0;

  constructor(readonly bytesPerCommit: number) {}

  commit(): void {
    this.#owed += this.bytesPerCommit;
    if (this.#owed >= LEAK_PIECE) this.#keep(LEAK_PIECE);
  }

  /** Keep what is still owed (at the end of the loop). */
  settle(): void {
    if (this.#owed > 0) this.#keep(this.#owed);
  }

  #keep(bytes: number): void {
    // A flat one-byte string of exactly `bytes` characters, on the heap.
    this.#kept.push(Buffer.alloc(bytes, 0x6c).toString('latin1'));
    this.#owed -= bytes;
  }
}

function collect(): { heap: number; buffers: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { heap: heapUsed, buffers: arrayBuffers };
}

async function main(commits: number, keyCount: number, leak: InjectedLeak): Promise<LoopReport> {
  const store = MultiStore.open({
    tables: [{ name: 'sessions', prefix: 's:', retention: { keepLastVersions: 1 } }],
  });
  // A reader at version 0, open throughout: it reads nothing a request
  // erases, but keeps the commits from trimming in their own step, so that
  // every retention write goes through the queue and its bound.
  // (Kept reachable: a collected transaction releases its snapshot.)
  const reader = store.begin({ asOf: 0, readOnly: true });
  // A listener, so that every commit's event goes through the bus and its bound.
  let eventsDelivered = 0;
  store.events.on('storage-stats', () => {
    eventsDelivered++;
  });
  const keys = Array.from({ length: keyCount }, (_, i) => utf8(`s:${i}`));
  const value = utf8('a session value of forty-some bytes, give or take');
  let version = 0;
  const run = (count: number, onCommit?: () => void): void => {
    for (let i = 0; i < count; i++) {
      version++;
      store.commit([{ type: 'set', key: keys[version % keyCount] as Uint8Array, value }], version);
      onCommit?.();
    }
  };
  run(WARM_UP);
  await store.flush();
  const before = collect();
  const started = performance.now();
  run(commits, leak.bytesPerCommit > 0 ? () => leak.commit() : undefined);
  leak.settle();
  const loopMs = performance.now() - started;
  const historicalBeforeFlush = store.stats().total.historicalCount;
  await store.flush();
  const flushMs = performance.now() - started - loopMs;
  const after = collect();
  const worker = store.dropWorkerStats();
  const { total, eventsShed } = store.stats();
  const { currentCount, historicalCount } = total;
  const keysWithOneVersion = keys.filter((key) => store.versions(key).length === 1).length;
  reader.rollback();
  await store.close();
  return {
    commits,
    keys: keyCount,
    heapBefore: before.heap,
    heapAfter: after.heap,
    buffersBefore: before.buffers,
    buffersAfter: after.buffers,
    loopMs,
    flushMs,
    backpressure: worker.backpressure,
    historicalBeforeFlush,
    eventsDelivered,
    eventsShed,
    requests: worker.requests,
    entriesDropped: worker.entriesDropped,
    failures: worker.failures,
    keysWithOneVersion,
    currentCount,
    historicalCount,
    leakBytesPerCommit: leak.bytesPerCommit,
  };
}

const [commits, keys, leakBytes] = process.argv.slice(2).map(Number);
const leak = new InjectedLeak(leakBytes ?? 0);
main(commits ?? 1_000_000, keys ?? 1_000, leak).then(
  (report) => process.stdout.write(`${JSON.stringify(report)}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);

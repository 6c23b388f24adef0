/**
 * Live watches: every commit after `store.watch()` whose writes touch a range,
 * handed to an async iterator.
 *
 * ```
 *   commit(v) ─► tier.set ─► stats ─► hub.publish(v, writes)      (nothing to do when no watch)
 *                                       │ per watch: writes in its range, copied
 *                                       ▼
 *                               buffer [c7 c8 c9]  (at most bufferSize changes)
 *                                       │ next(): the oldest change
 *                                       ▼
 *                               for await (const change of watch)
 * ```
 *
 * Delivery happens after the commit, never inside it: `publish` only appends
 * to the buffer; a consumer waiting in `next()` is woken on a later turn of
 * the event loop (`event-loop` mode) or, in `inline` mode, by the settling of
 * its promise, which runs after `commit` has returned. Changes come in commit
 * order, which is version order for every commit that takes its version from
 * the store.
 *
 * A consumer slower than the commits has a bounded buffer (default 1,024
 * changes). A change that finds it full ends the watch: the buffer is let go
 * at once (memory stays bounded however far the consumer falls behind), and
 * the iterator's next `next()` throws `WATCH_OVERFLOW` with the version of
 * the last change it delivered, from which `store.changes` resumes.
 *
 * A watch ends with `close()` (or `return()`, which a `for await` that breaks
 * calls): done at once, what it buffered let go; with its `signal` aborting:
 * the iterator throws the signal's reason; and with `store.close()`: it
 * delivers what it buffered, then is done. An iterator throws its error
 * once, and is done from then on.
 *
 * @module
 */

import { bytesToBinaryString, compareBytes, describe } from '../common/bytes.js';
import { InvalidInputError, WatchOverflowError } from '../common/errors.js';
import { isPlainObject, objectExpected } from '../common/properties.js';
import type { ActorMode } from '../runtime/actor.js';
import { nextTurn } from '../runtime/next-turn.js';
import { within } from '../tier/horizons.js';
import { type Change, type ChangeWrite, decodeChange } from './changes.js';
import type { PlannedWrite } from './deltas.js';
import { BINARY_CODECS, type Codecs } from './encodings.js';
import { type RangeSpec, type ResolvedRange, resolveRange } from './range.js';

/** How a watch runs. */
export interface WatchOptions {
  /** Ends the watch when aborted: its iterator throws the signal's reason. */
  readonly signal?: AbortSignal;
  /** Most changes waiting for the consumer before the watch overflows (default 1,024). */
  readonly bufferSize?: number;
}

/** The default number of changes a watch buffers for a slow consumer. */
export const DEFAULT_WATCH_BUFFER = 1024;

/** Watch options, validated. */
interface ResolvedWatch {
  readonly range: ResolvedRange;
  readonly signal: AbortSignal | undefined;
  readonly bufferSize: number;
}

function resolveWatch(
  spec: RangeSpec<unknown> | undefined,
  options: WatchOptions | undefined,
  codecs: Codecs,
): ResolvedWatch {
  const range = resolveRange(spec, codecs);
  if (options === undefined) return { range, signal: undefined, bufferSize: DEFAULT_WATCH_BUFFER };
  if (!isPlainObject(options)) {
    throw new InvalidInputError('INVALID_ARGUMENT', objectExpected(`watch options`, options));
  }
  for (const name of Object.keys(options)) {
    if (name !== 'signal' && name !== 'bufferSize') {
      throw new InvalidInputError(
        'INVALID_ARGUMENT',
        `unknown property watch options.${name} (known: signal, bufferSize)`,
      );
    }
  }
  const { signal, bufferSize = DEFAULT_WATCH_BUFFER } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      `signal must be an AbortSignal, got ${describe(signal)}`,
    );
  }
  if (!Number.isSafeInteger(bufferSize) || bufferSize < 1) {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      `bufferSize must be a positive integer, got ${describe(bufferSize)}`,
    );
  }
  return { range, signal, bufferSize };
}

/** The store's watches, told of every commit. */
export class WatchHub {
  // biome-ignore lint/suspicious/noExplicitAny: watches of any key and value types
  readonly #watches = new Set<Watch<any, any>>();
  readonly #mode: ActorMode;

  constructor(mode: ActorMode) {
    this.#mode = mode;
  }

  /**
   * A new watch of the commits after this call; `latest` is the store's
   * latest version now; `codecs` take its range and decode what it delivers.
   */
  open<K = Uint8Array, V = Uint8Array>(
    spec: RangeSpec<unknown> | undefined,
    options: WatchOptions | undefined,
    latest: number,
    codecs: Codecs = BINARY_CODECS,
  ): Watch<K, V> {
    const resolved = resolveWatch(spec, options, codecs);
    return new Watch<K, V>(resolved, latest, this.#mode, this.#watches as Set<Watch<K, V>>, codecs);
  }

  /** Hand the writes of the commit at `version` to every watch whose range they touch. */
  publish(version: number, writes: readonly PlannedWrite[]): void {
    if (this.#watches.size === 0) return;
    const sorted = lastWriteOfEachKey(writes);
    for (const watch of this.#watches) watch.offer(version, sorted);
  }

  /** The store is closing: every watch delivers what it buffered, then ends. */
  endAll(): void {
    for (const watch of [...this.#watches]) watch.end();
  }
}

/** The commit's writes, the last of each key, in key order. */
function lastWriteOfEachKey(writes: readonly PlannedWrite[]): PlannedWrite[] {
  const byKey = new Map<string, PlannedWrite>();
  for (const write of writes) byKey.set(bytesToBinaryString(write.key), write);
  return [...byKey.values()].sort((a, b) => compareBytes(a.key, b.key));
}

type State = 'open' | 'ending' | 'done' | 'overflowed' | 'aborted';

/**
 * A live watch: an async iterator of {@link Change}s (the shape of a
 * `store.changes` entry), each a commit after the watch began whose writes
 * touch its range (only those writes). See the module documentation.
 */
export class Watch<K = Uint8Array, V = Uint8Array> implements AsyncIterableIterator<Change<K, V>> {
  readonly #range: ResolvedRange;
  readonly #bufferSize: number;
  readonly #mode: ActorMode;
  readonly #hub: Set<Watch<K, V>>;
  /** Decodes a change as it is delivered (so the commit that offers it never pays for it). */
  readonly #codecs: Codecs;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.#finish('aborted');
  #buffer: Change[] = [];
  #head = 0;
  #state: State = 'open';
  #lastVersion: number;
  #waiter:
    | {
        resolve: (r: IteratorResult<Change<K, V>, undefined>) => void;
        reject: (e: unknown) => void;
      }
    | undefined;
  #wakeScheduled = false;

  /** @internal Use `store.watch()`. */
  constructor(
    options: ResolvedWatch,
    latest: number,
    mode: ActorMode,
    hub: Set<Watch<K, V>>,
    codecs: Codecs = BINARY_CODECS,
  ) {
    this.#codecs = codecs;
    this.#range = options.range;
    this.#bufferSize = options.bufferSize;
    this.#mode = mode;
    this.#hub = hub;
    this.#lastVersion = latest;
    this.#signal = options.signal;
    if (this.#signal?.aborted === true) {
      this.#state = 'aborted';
      return;
    }
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    hub.add(this);
  }

  /** The version of the last change delivered (the store's latest when the watch began, before any). */
  get lastVersion(): number {
    return this.#lastVersion;
  }

  /** How many changes wait for the consumer (at most the buffer size). */
  get buffered(): number {
    return this.#buffer.length - this.#head;
  }

  /** Whether the watch still receives commits. */
  get active(): boolean {
    return this.#state === 'open';
  }

  /** @internal A commit's writes (the last of each key, in key order): keep those of the range. */
  offer(version: number, writes: readonly PlannedWrite[]): void {
    if (this.#state !== 'open') return;
    const { start, end } = this.#range;
    const mine: ChangeWrite[] = [];
    for (const write of writes) {
      if (!within(write.key, start, 1) || !within(write.key, end, -1)) continue;
      const value = write.value && new Uint8Array(write.value);
      mine.push({ key: new Uint8Array(write.key), value, table: write.table.name });
    }
    if (mine.length === 0) return;
    if (this.buffered >= this.#bufferSize) {
      this.#finish('overflowed');
      return;
    }
    this.#buffer.push({ version, writes: mine });
    this.#wake();
  }

  /** @internal The store closes: deliver what is buffered, then end. */
  end(): void {
    if (this.#state !== 'open') return;
    this.#state = 'ending';
    this.#detach();
    this.#wake();
  }

  /** End the watch now, letting go of what it buffered; a pending `next()` is done. */
  close(): void {
    this.#finish('done');
  }

  next(): Promise<IteratorResult<Change<K, V>, undefined>> {
    return new Promise((resolve, reject) => {
      if (this.#waiter !== undefined) {
        reject(
          new InvalidInputError(
            'INVALID_ARGUMENT',
            'next() called while another next() is pending',
          ),
        );
        return;
      }
      this.#waiter = { resolve, reject };
      if (this.buffered > 0 || this.#state !== 'open') this.#settle();
    });
  }

  return(): Promise<IteratorResult<Change<K, V>, undefined>> {
    this.close();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Answer the pending `next()`, if any, from the buffer or the state. */
  #settle(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    if (this.buffered > 0) {
      this.#waiter = undefined;
      const change = this.#take();
      this.#lastVersion = change.version;
      try {
        waiter.resolve({ done: false, value: decodeChange<K, V>(this.#codecs, change) });
      } catch (error) {
        waiter.reject(error); // a stored value its codec cannot read (TIER_IO)
      }
      return;
    }
    if (this.#state === 'open') return;
    this.#waiter = undefined;
    if (this.#state === 'overflowed')
      waiter.reject(new WatchOverflowError(this.#lastVersion, this.#bufferSize));
    else if (this.#state === 'aborted') waiter.reject(this.#signal?.reason);
    else waiter.resolve({ done: true, value: undefined });
    // An error is thrown once; the watch is done after it, as after its last change.
    this.#state = 'done';
  }

  #take(): Change {
    const change = this.#buffer[this.#head] as Change;
    this.#head++;
    if (this.#head === this.#buffer.length) {
      this.#buffer = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#head);
      this.#head = 0;
    }
    return change;
  }

  /** Wake a waiting consumer: on a later turn (event-loop), or by settling now (inline). */
  #wake(): void {
    if (this.#waiter === undefined) return;
    if (this.#mode === 'inline') {
      this.#settle();
      return;
    }
    if (this.#wakeScheduled) return;
    this.#wakeScheduled = true;
    nextTurn(() => {
      this.#wakeScheduled = false;
      this.#settle();
    });
  }

  #finish(state: 'done' | 'overflowed' | 'aborted'): void {
    if (this.#state === 'done' || this.#state === 'overflowed' || this.#state === 'aborted') return;
    this.#state = state;
    this.#buffer = [];
    this.#head = 0;
    this.#detach();
    this.#settle();
  }

  #detach(): void {
    this.#hub.delete(this);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

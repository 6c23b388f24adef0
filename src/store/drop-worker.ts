/**
 * The drop worker: erases versions off the commit path.
 *
 * A commit never erases anything itself: it turns its drop deltas (and the
 * implicit drops of retention tables) into requests, appends them to the
 * pending queue and tells this actor, then returns. The actor decides when to
 * flush the queue:
 *
 * ```
 *   commit ──requests──► pending queue (commit order) ──flush──► tier.drop + 1 stats record
 *          ──'requests'─► mailbox (bounded) ─► actor: flush when batchSize requests
 *            first request pending: arm timer ┐        are pending, or flushIntervalMs
 *   timer ───flush-due (once)─────────────────┘        after the commit that sent the
 *   store.flush() ──flush(done)──► flush now, then done()    first pending request
 *   store.close() ──shutdown────► flush now, then stop
 * ```
 *
 * The timer exists only while requests are pending: the first request that
 * finds the queue empty arms a one-shot timer due `flushIntervalMs` after the
 * request was sent (messages carry their clock time, so a request that waited
 * in the mailbox is not held longer), and every flush, by whatever path,
 * cancels it. An idle store therefore schedules nothing and never wakes up.
 *
 * Nothing accepted is lost, and requests are applied in commit order: a
 * request joins the queue when it is submitted, whatever happens to the
 * message that announces it. When the mailbox is full, the sender flushes the
 * queue (everything submitted so far, its own requests last) on its own turn
 * (backpressure, counted); the queue never holds more than the requests
 * announced by the messages in the mailbox plus a batch. Order matters: a
 * request is judged on what the key holds when it is applied, so two requests
 * of one key applied the other way round can erase different versions (the
 * old design let a full mailbox apply newer requests first). `store.flush()`
 * and `store.close()` can wait, so their message waits for room instead: the
 * actor lets it in as it takes a message out, without any polling.
 *
 * @module
 */

import { trace } from '@opentelemetry/api';
import type { Logger } from '../common/logger.js';
import type { Actor, ActorContext, ActorRef, Directive, TimerHandle } from '../runtime/actor.js';
import type { Clock } from '../runtime/clock.js';
import type { ActorSystem } from '../runtime/system.js';
import type { DropApplier, DropRequest } from './drop-batch.js';
import type { DropWorkerConfig } from './options.js';

/** Messages the drop worker handles. */
export type DropMessage =
  /** Requests were added to the queue (at clock time `sentAt`). */
  | { readonly type: 'requests'; readonly sentAt: number }
  | { readonly type: 'flush-due' }
  | { readonly type: 'flush'; readonly done: () => void }
  | { readonly type: 'shutdown'; readonly done: () => void };

/** Counters of the drop worker. */
export interface DropWorkerStats {
  /** Requests accepted. */
  readonly requests: number;
  /** Flushes that applied at least one request. */
  readonly batches: number;
  /** Stored versions erased. */
  readonly entriesDropped: number;
  /** Times a full mailbox made the sender process the work itself. */
  readonly backpressure: number;
  /** Requests that failed (logged) instead of being applied. */
  readonly failures: number;
}

const tracer = trace.getTracer('multistore');

const FLUSH_DUE: DropMessage = Object.freeze({ type: 'flush-due' });

/** The queue and counters shared by the actor and the senders' backpressure path. */
class DropQueue {
  pending: DropRequest[] = [];
  /** The flush timer, armed by the actor while requests are pending. */
  timer: TimerHandle | undefined;
  requests = 0;
  batches = 0;
  entriesDropped = 0;
  backpressure = 0;
  failures = 0;

  constructor(readonly applier: DropApplier) {}

  add(requests: readonly DropRequest[]): void {
    for (const request of requests) this.pending.push(request);
    this.requests += requests.length;
  }

  /** Apply everything pending, in one batch; nothing is pending afterwards, so no timer either. */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    tracer.startActiveSpan('drop.process_batch', (span) => {
      try {
        const outcome = this.applier.apply(batch);
        this.batches++;
        this.entriesDropped += outcome.entriesDropped;
        this.failures += outcome.failures;
        span.setAttributes({
          num_requests: outcome.requests,
          total_dropped: outcome.entriesDropped,
        });
      } finally {
        span.end();
      }
    });
  }
}

/** The actor: decides when the queue is flushed. Its state is the shared queue. */
class DropWorkerActor implements Actor<DropQueue, DropMessage> {
  readonly #queue: DropQueue;
  readonly #config: DropWorkerConfig;

  constructor(queue: DropQueue, config: DropWorkerConfig) {
    this.#queue = queue;
    this.#config = config;
  }

  config() {
    return { mailboxCapacity: this.#config.mailboxCapacity };
  }

  init(): DropQueue {
    return this.#queue;
  }

  handle(queue: DropQueue, message: DropMessage, ctx: ActorContext<DropMessage>): Directive {
    switch (message.type) {
      case 'requests':
        if (queue.pending.length >= this.#config.batchSize) queue.flush();
        else this.#armTimer(queue, message.sentAt, ctx);
        return 'continue';
      case 'flush-due':
      case 'flush':
        queue.flush();
        if (message.type === 'flush') message.done();
        return 'continue';
      case 'shutdown':
        queue.flush();
        message.done();
        return 'stop';
    }
  }

  postStop(queue: DropQueue): void {
    queue.flush();
  }

  /**
   * Arm the flush timer for the first pending request, sent at `sentAt` (clock
   * milliseconds); a fired timer forgets itself first.
   */
  #armTimer(queue: DropQueue, sentAt: number, ctx: ActorContext<DropMessage>): void {
    if (queue.timer !== undefined || queue.pending.length === 0) return;
    const waited = ctx.clock.nowMillis() - sentAt;
    const delay = Math.max(0, this.#config.flushIntervalMs - waited);
    queue.timer = ctx.scheduleOnce(delay, () => {
      queue.timer = undefined;
      return FLUSH_DUE;
    });
  }
}

/** The store's handle on its drop worker. */
export class DropWorker {
  readonly #queue: DropQueue;
  readonly #ref: ActorRef<DropMessage>;
  readonly #logger: Logger;
  readonly #clock: Clock;

  constructor(system: ActorSystem, applier: DropApplier, config: DropWorkerConfig, logger: Logger) {
    this.#queue = new DropQueue(applier);
    this.#logger = logger;
    this.#clock = system.clock;
    this.#ref = system.spawn('drop-worker', new DropWorkerActor(this.#queue, config));
  }

  /** Queue requests and tell the worker: {@link enqueue} then {@link notify}. */
  submit(requests: readonly DropRequest[]): void {
    if (requests.length === 0) return;
    this.enqueue(requests);
    this.notify();
  }

  /**
   * Queue requests after every earlier one, without telling the worker yet:
   * a commit queues its requests before its event can run a listener (which
   * may commit), so that the queue keeps commit order.
   */
  enqueue(requests: readonly DropRequest[]): void {
    if (requests.length > 0) this.#queue.add(requests);
  }

  /** Tell the worker requests are queued; on a full (or closed) mailbox, apply the queue now. */
  notify(): void {
    if (this.#queue.pending.length === 0) return;
    const sent = this.#ref.send({ type: 'requests', sentAt: this.#clock.nowMillis() });
    if (sent.ok) return;
    if (sent.reason === 'full') this.#queue.backpressure++;
    else
      this.#logger.warn('drop worker is not running; applying drops on the caller', {
        requests: this.#queue.pending.length,
      });
    this.#queue.flush();
  }

  /** Resolves once every request submitted before the call has been applied (its event emitted). */
  flush(): Promise<void> {
    return this.#call('flush');
  }

  /** Apply everything pending and stop the worker. */
  async shutdown(): Promise<void> {
    await this.#call('shutdown');
    await this.#ref.stopped;
  }

  /** The worker's counters. */
  stats(): DropWorkerStats {
    const { requests, batches, entriesDropped, backpressure, failures } = this.#queue;
    return Object.freeze({ requests, batches, entriesDropped, backpressure, failures });
  }

  /** Send a flush/shutdown message, waiting (without polling) for room in a full mailbox. */
  async #call(type: 'flush' | 'shutdown'): Promise<void> {
    let resolve!: () => void;
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    const sent = await this.#ref.sendWhenRoom({ type, done: resolve });
    if (!sent.ok) {
      this.#queue.flush();
      return;
    }
    return done;
  }
}

/**
 * The drop worker: erases versions off the commit path.
 *
 * A commit never erases anything itself: it turns its drop deltas (and the
 * implicit drops of retention tables) into requests and sends them to this
 * actor, then returns. The actor keeps nothing but a queue of pending requests
 * and decides when to flush it:
 *
 * ```
 *   commit ──batch──► mailbox (bounded) ──► pending queue ──flush──► tier.drop + 1 stats event
 *                                             ▲   flush when: batchSize requests pending,
 *   timer ───tick (every 10 ms)───────────────┘   or a tick finds flushInterval passed
 *   store.flush() ──flush(done)──► flush now, then done()      since the last flush
 *   store.close() ──shutdown────► flush now, then stop
 * ```
 *
 * Nothing accepted is lost. When the mailbox is full, the sender does not drop
 * its message: it adds its requests to the queue and flushes the queue on its
 * own turn (backpressure, counted). Those requests may then be applied before
 * older ones still in the mailbox; drop requests commute in practice (each
 * erases old versions of one key, judged on what the tier holds when applied),
 * so the order of application does not change the outcome.
 *
 * @module
 */

import { trace } from '@opentelemetry/api';
import type { Logger } from '../common/logger.js';
import type { Actor, ActorContext, ActorRef, Directive, TimerHandle } from '../runtime/actor.js';
import type { Instant } from '../runtime/clock.js';
import type { ActorSystem } from '../runtime/system.js';
import type { DropApplier, DropRequest } from './drop-batch.js';
import type { DropWorkerConfig } from './options.js';

/** Messages the drop worker handles. */
export type DropMessage =
  | { readonly type: 'request'; readonly request: DropRequest }
  | { readonly type: 'batch'; readonly requests: readonly DropRequest[] }
  | { readonly type: 'tick' }
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

/** The queue and counters shared by the actor and the senders' backpressure path. */
class DropQueue {
  pending: DropRequest[] = [];
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

  /** Apply everything pending, in one batch. */
  flush(): void {
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

interface WorkerState {
  lastFlush: Instant;
  readonly ticks: TimerHandle;
}

/** The actor: decides when the queue is flushed. */
class DropWorkerActor implements Actor<WorkerState, DropMessage> {
  readonly #queue: DropQueue;
  readonly #config: DropWorkerConfig;

  constructor(queue: DropQueue, config: DropWorkerConfig) {
    this.#queue = queue;
    this.#config = config;
  }

  config() {
    return { mailboxCapacity: this.#config.mailboxCapacity };
  }

  init(ctx: ActorContext<DropMessage>): WorkerState {
    return {
      lastFlush: ctx.clock.instant(),
      ticks: ctx.scheduleRepeat(this.#config.tickIntervalMs, { type: 'tick' }),
    };
  }

  handle(state: WorkerState, message: DropMessage, ctx: ActorContext<DropMessage>): Directive {
    switch (message.type) {
      case 'request':
      case 'batch':
        this.#queue.add(message.type === 'request' ? [message.request] : message.requests);
        if (this.#queue.pending.length >= this.#config.batchSize) this.#flush(state, ctx);
        return 'continue';
      case 'tick':
        if (
          this.#queue.pending.length > 0 &&
          state.lastFlush.elapsed() >= this.#config.flushIntervalMs
        ) {
          this.#flush(state, ctx);
        }
        return 'continue';
      case 'flush':
        this.#flush(state, ctx);
        message.done();
        return 'continue';
      case 'shutdown':
        this.#flush(state, ctx);
        state.ticks.cancel();
        message.done();
        return 'stop';
    }
  }

  postStop(state: WorkerState): void {
    state.ticks.cancel();
    this.#queue.flush();
  }

  #flush(state: WorkerState, ctx: ActorContext<DropMessage>): void {
    this.#queue.flush();
    state.lastFlush = ctx.clock.instant();
  }
}

/** The store's handle on its drop worker. */
export class DropWorker {
  readonly #queue: DropQueue;
  readonly #ref: ActorRef<DropMessage>;
  readonly #logger: Logger;

  constructor(system: ActorSystem, applier: DropApplier, config: DropWorkerConfig, logger: Logger) {
    this.#queue = new DropQueue(applier);
    this.#logger = logger;
    this.#ref = system.spawn('drop-worker', new DropWorkerActor(this.#queue, config));
  }

  /** Hand requests to the worker; on a full (or closed) mailbox, apply them on this turn. */
  submit(requests: readonly DropRequest[]): void {
    if (requests.length === 0) return;
    const message: DropMessage =
      requests.length === 1
        ? { type: 'request', request: requests[0] as DropRequest }
        : { type: 'batch', requests };
    const sent = this.#ref.send(message);
    if (sent.ok) return;
    if (sent.reason === 'full') this.#queue.backpressure++;
    else
      this.#logger.warn('drop worker is not running; applying drops on the caller', {
        requests: requests.length,
      });
    this.#queue.add(requests);
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

  /** Send a flush/shutdown message, waiting for room in a full mailbox. */
  async #call(type: 'flush' | 'shutdown'): Promise<void> {
    for (;;) {
      let resolve!: () => void;
      const done = new Promise<void>((r) => {
        resolve = r;
      });
      const sent = this.#ref.send({ type, done: resolve });
      if (sent.ok) return done;
      if (sent.reason === 'closed') {
        this.#queue.flush();
        return;
      }
      // A macrotask turn, so an event-loop actor gets to drain its mailbox.
      await new Promise<void>((r) => setTimeout(r, 0));
    }
  }
}

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
 *      (unless one is in it already)               are pending, or flushIntervalMs
 *            first request pending: arm timer ┐        after the commit that sent the
 *   timer ───flush-due (once)─────────────────┘        first pending request
 *   store.flush() ──flush(done)──► flush now, then done()
 *   store.close() ──shutdown────► flush now, then stop
 * ```
 *
 * The timer exists only while requests are pending: the first request that
 * finds the queue empty arms a one-shot timer due `flushIntervalMs` after the
 * request was sent (messages carry their clock time, so a request that waited
 * in the mailbox is not held longer), and every flush, by whatever path,
 * cancels it. An idle store therefore schedules nothing and never wakes up.
 * One 'requests' message in the mailbox says all there is to say (the actor
 * looks at the whole queue when it handles it), so a commit sends one only
 * when none is there.
 *
 * Nothing accepted is lost, and requests are applied in commit order: a
 * request joins the queue when it is submitted, whatever happens to the
 * message that announces it. A retention request may replace the queued
 * request of its key it makes redundant (pending-drops.ts), standing for
 * both. The queue is bounded: it stands for at most `mailboxCapacity x
 * batchSize` accepted requests (each a version still to erase). A commit that
 * finds it over that bound applies the oldest requests beyond it, and a batch
 * more, on its own turn (backpressure, counted): bounded work per commit,
 * never the whole backlog. Order matters: a request is judged on what the key
 * holds when it is applied, so two requests of one key applied the other way
 * round can erase different versions. `store.flush()` and `store.close()` can
 * wait, so their message waits for room in a full mailbox instead: the actor
 * lets it in as it takes a message out, without any polling. (Should a
 * 'requests' message find the mailbox full, its sender applies the queue.)
 *
 * ## Parked requests
 *
 * What an open snapshot still reads is not erased: the applier parks the
 * rest of such a request (drop-batch.ts, parked-drops.ts). Every flush first
 * takes back the parked keys whose snapshot has ended, ahead of the queue.
 * Nothing polls for that moment:
 *
 * ```
 *   a snapshot ends (commit, rollback, iterator done, GC) ──► wake ──► flush
 *   a snapshot with maxAgeMs holds something back ──► one-shot timer at its deadline ──► expire, flush
 *   store.flush() ──► applies what is queued; never waits for parked requests
 *   store.close() ──► every snapshot released first: the shutdown flush applies everything
 * ```
 *
 * A flush never runs inside another (a snapshot can end while one plans,
 * when a lease expires): the inner one is remembered and run after.
 *
 * ## Steps, and range drops
 *
 * A flush is made of steps, each one `DropApplier.apply` (one `tier.drop`,
 * one statistics record). A step takes the per-key requests at the head of
 * the queue; a range drop there (range-drops.ts) gives it one page of its
 * keys (`batchSize` at most) as per-key requests, and stays at the head until
 * its last page, so later requests wait behind it (commit order):
 *
 * ```
 *   queue [r1 r2 RANGE r3]   step 1: r1 r2 + RANGE page 1     step 2: RANGE page 2 ...
 *                            step n: RANGE last page          step n+1: r3
 *   timer, batch size, wake  one step, then a 'continue' message to itself while work is
 *                            left: commits and reads run between the pages (event-loop)
 *   flush(), close()                  every step until the queue is empty
 *   backpressure                      one step of the oldest requests (bounded)
 * ```
 *
 * @module
 */

import { trace } from '@opentelemetry/api';
import type { Logger } from '../common/logger.js';
import type { Actor, ActorContext, ActorRef, Directive, TimerHandle } from '../runtime/actor.js';
import type { Clock } from '../runtime/clock.js';
import type { ActorSystem } from '../runtime/system.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import type { QueuedDrop } from './commit-requests.js';
import type { DropApplier, DropRequest } from './drop-batch.js';
import type { DropWorkerConfig } from './options.js';
import type { BlockingSnapshots } from './parked-drops.js';
import { PendingDrops } from './pending-drops.js';
import type { RangeDrop } from './range-drops.js';

/** Messages the drop worker handles. */
export type DropMessage =
  /** Requests were added to the queue (at clock time `sentAt`). */
  | { readonly type: 'requests'; readonly sentAt: number }
  | { readonly type: 'flush-due' }
  /** A step left work in the queue (a range drop part-way): take the next step. */
  | { readonly type: 'continue' }
  /** A snapshot ended while requests were parked. */
  | { readonly type: 'wake' }
  /** A snapshot holding requests back may have passed its maxAgeMs. */
  | { readonly type: 'expire' }
  | { readonly type: 'flush'; readonly done: () => void }
  | { readonly type: 'shutdown'; readonly done: () => void };

/** Counters of the drop worker. */
export interface DropWorkerStats {
  /** Requests accepted (a range drop counts once, however many keys it reaches). */
  readonly requests: number;
  /** Flushes that applied at least one request. */
  readonly batches: number;
  /** Stored versions erased (those trimmed in their commit's own step included). */
  readonly entriesDropped: number;
  /**
   * Retention writes trimmed in their commit's own tier step instead of
   * queued as requests (README, "Drops, retention and statistics").
   */
  readonly trimmedInCommit: number;
  /** Times a sender applied requests itself: the queue was over its bound (or the mailbox full). */
  readonly backpressure: number;
  /** Requests that failed (logged) instead of being applied. */
  readonly failures: number;
  /** Requests waiting for an open snapshot to end (see the README, "The drop rule"). */
  readonly parked: number;
}

/** The open snapshots, as the worker asks about them (the store's snapshot registry). */
export interface WorkerSnapshots extends BlockingSnapshots {
  /** Release the leases older than their maxAgeMs. */
  expire(): number;
  /** When the next lease with a maxAgeMs expires (clock milliseconds), if any. */
  nextDeadline(): number | undefined;
}

const tracer = trace.getTracer('multistore');

const FLUSH_DUE: DropMessage = Object.freeze({ type: 'flush-due' });
const WAKE: DropMessage = Object.freeze({ type: 'wake' });
const EXPIRE: DropMessage = Object.freeze({ type: 'expire' });
const CONTINUE: DropMessage = Object.freeze({ type: 'continue' });

/** The queue and counters shared by the actor and the senders' backpressure path. */
class DropQueue {
  readonly pending = new PendingDrops();
  /** A requests message is in the mailbox: later commits need not send another. */
  requestsSent = false;
  /** A continue message is in the mailbox. */
  continueSent = false;
  /** The flush timer, armed by the actor while requests are pending. */
  timer: TimerHandle | undefined;
  /** The expiry timer, armed by the actor while requests are parked behind a maxAgeMs. */
  expiry: TimerHandle | undefined;
  /** A wake message is in the mailbox. */
  wakeSent = false;
  requests = 0;
  batches = 0;
  entriesDropped = 0;
  trimmedInCommit = 0;
  backpressure = 0;
  failures = 0;
  #flushing = false;
  #again = false;
  #againAll = false;

  constructor(
    readonly applier: DropApplier,
    readonly snapshots: WorkerSnapshots,
    readonly tier: AbstractTier,
    /** Keys a step takes from a range drop. */
    readonly pageSize: number,
    readonly logger: Logger,
  ) {}

  /** A flush runs: a step asked for meanwhile runs after it (see {@link flush}). */
  get flushing(): boolean {
    return this.#flushing;
  }

  add(requests: readonly QueuedDrop[]): void {
    for (const request of requests) this.pending.add(request);
    this.requests += requests.length;
  }

  /**
   * Apply the parked requests whose snapshot ended and everything pending,
   * step after step; nothing is pending afterwards, so no timer either.
   * Called while a flush runs (a snapshot ended during it), it runs after
   * that one.
   */
  flush(): void {
    this.#run(true);
  }

  /** One step: the requests at the head of the queue, up to one page of a range drop. */
  step(): void {
    this.#run(false);
  }

  /**
   * One step of the oldest requests, until those taken stand for `weight`
   * accepted requests (or a range drop comes up): a sender's bounded share
   * under backpressure.
   */
  stepOldest(weight: number): void {
    this.#run(false, weight);
  }

  #run(all: boolean, weight = Number.POSITIVE_INFINITY): void {
    if (this.#flushing) {
      this.#again = true;
      if (all) this.#againAll = true;
      return;
    }
    this.#flushing = true;
    try {
      let drain = all;
      let limit = weight;
      do {
        this.#again = false;
        this.#stepOnce(limit);
        limit = Number.POSITIVE_INFINITY;
        drain ||= this.#againAll;
        this.#againAll = false;
      } while (this.#again || (drain && this.pending.size > 0));
    } finally {
      this.#flushing = false;
    }
  }

  #stepOnce(weight: number): void {
    this.timer?.cancel();
    this.timer = undefined;
    const released = this.applier.parked.release(this.snapshots);
    const { taken, stepped } = this.#take(weight);
    const superseded = this.pending.takeSuperseded();
    const idle = taken.length === 0 && released.length === 0 && superseded.length === 0;
    if (idle && stepped === undefined) return;
    // Released requests are older than any pending request of their key.
    const batch = released.length === 0 ? taken : released.concat(taken);
    this.#apply(batch, stepped === undefined ? [] : [stepped], superseded);
  }

  /**
   * The requests of one step, taken off the queue: every per-key request up
   * to the first range drop (at most those standing for `weight` accepted
   * requests), then one page of that range drop (`stepped`, removed from the
   * queue once it is done). Without range drops or a limit, the whole queue.
   */
  #take(weight: number): { taken: DropRequest[]; stepped: RangeDrop | undefined } {
    const { taken, range } = this.pending.take(weight);
    if (range === undefined) return { taken, stepped: undefined };
    for (const request of this.#expand(range)) taken.push(request);
    if (range.done) this.pending.removeHeadRange();
    return { taken, stepped: range };
  }

  /**
   * The next page of a range drop. A page that cannot be read gives the
   * range up (logged, counted): its log record keeps it for the next open.
   */
  #expand(range: RangeDrop): DropRequest[] {
    try {
      return range.nextPage(this.tier, this.pageSize);
    } catch (error) {
      this.failures++;
      this.logger.error('range drop failed; the rest of its range waits for the next open', {
        error,
      });
      range.abandon();
      return [];
    }
  }

  #apply(
    batch: readonly DropRequest[],
    stepped: readonly RangeDrop[],
    superseded: readonly DropRequest[],
  ): void {
    tracer.startActiveSpan('drop.process_batch', (span) => {
      try {
        const outcome = this.applier.apply(batch, stepped, superseded);
        // A range page with no key settles the log only: no batch applied.
        if (batch.length > 0) this.batches++;
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
        queue.requestsSent = false;
        if (queue.pending.size >= this.#config.batchSize) this.#step(queue, ctx);
        else this.#armTimer(queue, message.sentAt, ctx);
        break;
      case 'wake':
        queue.wakeSent = false;
        this.#step(queue, ctx);
        break;
      case 'expire':
        queue.expiry = undefined;
        queue.snapshots.expire();
        this.#step(queue, ctx);
        break;
      case 'continue':
        queue.continueSent = false;
        this.#step(queue, ctx);
        break;
      case 'flush-due':
        this.#step(queue, ctx);
        break;
      case 'flush':
        queue.flush();
        message.done();
        break;
      case 'shutdown':
        queue.flush();
        queue.expiry?.cancel();
        message.done();
        return 'stop';
    }
    this.#armExpiry(queue, ctx);
    // A step left work: end the slice, so that the next page waits for a later turn.
    return queue.continueSent ? 'yield' : 'continue';
  }

  /**
   * One step. Work left after it (a range drop part-way, or requests queued
   * behind one): the next step comes in a message of its own, so that
   * whatever else waits (commits, reads) runs in between. If the mailbox is
   * full, the flush timer takes over.
   */
  #step(queue: DropQueue, ctx: ActorContext<DropMessage>): void {
    queue.step();
    // A sender's flush is on the stack (its event's listener committed, and in
    // inline mode this message was handled inside that commit): the step waits
    // for it and it takes the step itself when done. A 'continue' now would be
    // handled at once, find it still running, and send another, for ever.
    if (queue.flushing || queue.continueSent || queue.pending.size === 0) return;
    if (ctx.self.send(CONTINUE).ok) queue.continueSent = true;
    else this.#armTimer(queue, ctx.clock.nowMillis(), ctx);
  }

  /**
   * While requests are parked and a snapshot has a maxAgeMs, one timer waits
   * for the earliest deadline (releasing an expired snapshot frees what it
   * held back without any other activity).
   */
  #armExpiry(queue: DropQueue, ctx: ActorContext<DropMessage>): void {
    if (queue.expiry !== undefined || queue.applier.parked.size === 0) return;
    const deadline = queue.snapshots.nextDeadline();
    if (deadline === undefined) return;
    // A lease expires once the clock is past its deadline: fire just after it.
    const delay = Math.max(0, deadline - ctx.clock.nowMillis()) + 1;
    queue.expiry = ctx.scheduleOnce(delay, () => {
      queue.expiry = undefined;
      return EXPIRE;
    });
  }

  postStop(queue: DropQueue): void {
    queue.flush();
  }

  /**
   * Arm the flush timer for the first pending request, sent at `sentAt` (clock
   * milliseconds); a fired timer forgets itself first.
   */
  #armTimer(queue: DropQueue, sentAt: number, ctx: ActorContext<DropMessage>): void {
    if (queue.timer !== undefined || queue.pending.size === 0) return;
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
  readonly #batchSize: number;
  /** The accepted requests the queue may stand for: a full mailbox's worth of batches. */
  readonly #queueLimit: number;

  constructor(
    system: ActorSystem,
    applier: DropApplier,
    tier: AbstractTier,
    snapshots: WorkerSnapshots,
    config: DropWorkerConfig,
    logger: Logger,
  ) {
    this.#queue = new DropQueue(applier, snapshots, tier, config.batchSize, logger);
    this.#logger = logger;
    this.#clock = system.clock;
    this.#batchSize = config.batchSize;
    this.#queueLimit = config.mailboxCapacity * config.batchSize;
    this.#ref = system.spawn('drop-worker', new DropWorkerActor(this.#queue, config));
  }

  /** Queue requests and tell the worker: {@link enqueue} then {@link notify}. */
  submit(requests: readonly QueuedDrop[]): void {
    if (requests.length === 0) return;
    this.enqueue(requests);
    this.notify();
  }

  /**
   * Queue requests after every earlier one, without telling the worker yet:
   * a commit queues its requests before its event can run a listener (which
   * may commit), so that the queue keeps commit order.
   */
  enqueue(requests: readonly QueuedDrop[]): void {
    if (requests.length > 0) this.#queue.add(requests);
  }

  /**
   * Tell the worker requests are queued, unless a message saying so is in
   * its mailbox already. Backpressure: when the queue stands for more than
   * its bound of accepted requests, apply the oldest ones beyond it, and a
   * batch more, on this call; on a full (or closed) mailbox, the whole queue.
   */
  notify(): void {
    const queue = this.#queue;
    const excess = queue.pending.weight - this.#queueLimit;
    if (excess > 0) {
      queue.backpressure++;
      queue.stepOldest(excess + this.#batchSize);
    }
    if (queue.pending.size === 0 || queue.requestsSent) return;
    // Set first: in inline mode the worker handles the message inside send.
    queue.requestsSent = true;
    const sent = this.#ref.send({ type: 'requests', sentAt: this.#clock.nowMillis() });
    if (sent.ok) return;
    queue.requestsSent = false;
    if (sent.reason === 'full') queue.backpressure++;
    else
      this.#logger.warn('drop worker is not running; applying drops on the caller', {
        requests: queue.pending.size,
      });
    queue.flush();
  }

  /**
   * A snapshot ended: if requests are parked, have the worker take back
   * those it held (at once in inline mode, on a later turn otherwise). O(1)
   * when nothing is parked, and one message however many snapshots end.
   */
  wake(): void {
    const queue = this.#queue;
    if (queue.wakeSent || queue.applier.parked.size === 0) return;
    queue.wakeSent = true;
    const sent = this.#ref.send(WAKE);
    if (sent.ok) return;
    queue.wakeSent = false;
    // A full mailbox: take them back on this call. A stopped worker applied everything.
    if (sent.reason === 'full') queue.flush();
  }

  /**
   * Resolves once every request submitted before the call has been applied
   * (its event emitted), except those parked behind an open snapshot.
   */
  flush(): Promise<void> {
    return this.#call('flush');
  }

  /** Apply everything pending and stop the worker. */
  async shutdown(): Promise<void> {
    await this.#call('shutdown');
    await this.#ref.stopped;
  }

  /**
   * Every request not applied yet: queued or parked. A range drop in the
   * queue (waiting, or part-way: its expanded keys are applied or parked)
   * is listed whole, as itself.
   */
  *queued(): Generator<QueuedDrop, void, undefined> {
    yield* this.#queue.pending.requests();
    yield* this.#queue.applier.parked.requests();
  }

  /** The worker's counters. */
  stats(): DropWorkerStats {
    const { requests, batches, entriesDropped, trimmedInCommit, backpressure, failures } =
      this.#queue;
    const parked = this.#queue.applier.parked.size;
    return Object.freeze({
      requests,
      batches,
      entriesDropped,
      trimmedInCommit,
      backpressure,
      failures,
      parked,
    });
  }

  /**
   * True when no request waits, queued or parked: a commit may then trim in
   * its own step (store-writer.ts), as a flush of its requests alone would.
   */
  get idle(): boolean {
    return this.#queue.pending.size === 0 && this.#queue.applier.parked.size === 0;
  }

  /** A commit trimmed `writes` retention writes in its tier step, erasing `entries` versions. */
  countTrimmed(writes: number, entries: number): void {
    this.#queue.trimmedInCommit += writes;
    this.#queue.entriesDropped += entries;
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

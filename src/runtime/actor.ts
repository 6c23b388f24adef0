/**
 * The actor contract.
 *
 * An actor owns private state and handles one message at a time; nothing else
 * touches its state, so it needs no locks even when the same code runs on
 * Node's event loop or inline in a browser. The system calls:
 *
 * ```
 *   init(ctx) ─► state
 *   handle(state, msg, ctx) ─► 'continue' | 'yield' | 'park' | 'stop'   (per message)
 *   idle(state, ctx)          when the mailbox has run empty (optional)
 *   postStop(state)           once, after the last message
 * ```
 *
 * Directives returned by `handle`:
 * - `continue`: go on with the next message in the mailbox.
 * - `yield`: give the turn back; the remaining messages are handled on a
 *   later turn (event-loop) or after the current drain step (inline).
 * - `park`: handle nothing more until a new message arrives.
 * - `stop`: stop now; `postStop` runs, later sends report `closed`.
 *
 * `send` never throws for a full or closed mailbox: it reports it, and hands the
 * message back so the sender can decide (the drop worker's sender processes it
 * on its own turn: backpressure). A sender that can wait uses `sendWhenRoom`
 * instead: it is let in, in turn, as soon as the actor takes a message out of
 * its mailbox; nothing polls.
 *
 * @module
 */

import type { Clock } from './clock.js';

/** What `handle` tells the system to do next. */
export type Directive = 'continue' | 'yield' | 'park' | 'stop';

/** How an actor system runs its actors. */
export type ActorMode = 'event-loop' | 'inline';

/** Per-actor configuration. */
export interface ActorConfig {
  /** Most messages the mailbox holds; unbounded when absent. */
  readonly mailboxCapacity?: number;
}

/** The outcome of {@link ActorRef.send}. */
export type SendResult<M> =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'full' | 'closed'; readonly message: M };

/** A handle to cancel a scheduled timer. */
export interface TimerHandle {
  cancel(): void;
  readonly cancelled: boolean;
}

/** The address of a running actor. */
export interface ActorRef<M> {
  /** The name given at spawn, used in logs. */
  readonly name: string;
  /** Queue a message; never throws for `full` or `closed`. */
  send(message: M): SendResult<M>;
  /**
   * Queue a message, waiting while the mailbox is full: waiting senders are
   * let in, first come first served, as the actor takes messages out (no
   * polling). Resolves `closed` if the actor stops first.
   */
  sendWhenRoom(message: M): Promise<SendResult<M>>;
  /** False once the actor has stopped. */
  isAlive(): boolean;
  /** Resolves once the actor has stopped and its `postStop` ran. */
  readonly stopped: Promise<void>;
}

/** What an actor sees of the system while it runs. */
export interface ActorContext<M> {
  /** The actor's own address. */
  readonly self: ActorRef<M>;
  /** The system's clock. */
  readonly clock: Clock;
  /** Send `message` to self every `intervalMs` (clock time) until cancelled. */
  scheduleRepeat(intervalMs: number, message: M): TimerHandle;
  /** Send `factory()` to self once after `delayMs` (clock time) unless cancelled. */
  scheduleOnce(delayMs: number, factory: () => M): TimerHandle;
  /** True once the system is shutting down: finish what is queued, then stop. */
  isCancelled(): boolean;
}

/** An actor: private state `S`, messages `M`. */
export interface Actor<S, M> {
  init(ctx: ActorContext<M>): S;
  handle(state: S, message: M, ctx: ActorContext<M>): Directive;
  /** Called when the mailbox has run empty; may return a directive (default `park`). */
  idle?(state: S, ctx: ActorContext<M>): Directive | undefined;
  /** Called once after the actor stopped. */
  postStop?(state: S): void;
  config?(): ActorConfig;
}

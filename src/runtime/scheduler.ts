/**
 * Who runs an actor, and when: the only place where the two modes differ.
 *
 * An actor that has something to do (a message arrived, it yielded, it is
 * being shut down) is *woken*: put once on the run queue. The scheduler takes
 * actors off the front and gives each a *slice*: up to {@link SLICE_BUDGET}
 * messages, fewer if the actor yields, parks or stops. An actor that still has
 * work after its slice goes to the back of the queue, so busy actors take
 * turns.
 *
 * ```
 *   send ─► mailbox ─► wake(cell) ─► run queue [c3 c1 c7] ─► slice ─► back of queue
 *                                                                  └► done (waits for a send)
 * ```
 *
 * - event-loop: waking schedules a turn with `setImmediate` (next-turn.ts), never runs
 *   anything in the caller's call. A turn handles at most {@link TURN_BUDGET}
 *   messages, then schedules the next turn. `setImmediate` (a macrotask, run
 *   after the I/O poll phase) rather than `queueMicrotask`: a busy actor, such
 *   as the drop worker under load, must not starve I/O, and microtasks would
 *   all run before the event loop gets back to I/O. Actors that yielded or used
 *   their whole slice run again on a later turn, never twice in one turn.
 * - inline: waking drains the run queue synchronously, unless a drain is
 *   already running further up the stack (a handler sent a message): then the
 *   actor is only queued and that outer drain reaches it, in order, without
 *   recursion. A yielded actor goes to the back of the queue of the same drain.
 *
 * @module
 */

import type { ActorMode } from './actor.js';
import { Fifo } from './fifo.js';
import { nextTurn } from './next-turn.js';

/** Most messages one actor handles before another queued actor gets a turn. */
export const SLICE_BUDGET = 64;

/** Most messages handled in one event-loop turn before yielding to I/O. */
export const TURN_BUDGET = 1024;

/** Whether an actor still has work after its slice. */
export type SliceOutcome = 'more' | 'done';

/** Something the scheduler can run: an actor cell. */
export interface Runnable {
  /** Set by the scheduler while the runnable is on the run queue. */
  queued: boolean;
  /** Handle up to `budget` messages; returns the number handled and whether work is left. */
  runSlice(budget: number): { readonly handled: number; readonly outcome: SliceOutcome };
}

/** Runs woken actors, in one of the two modes. */
export interface Scheduler {
  /** Put `runnable` on the run queue (once) and make sure it will run. */
  wake(runnable: Runnable): void;
  /** True when no actor is queued and no turn is pending. */
  isIdle(): boolean;
}

/** The scheduler for `mode`. */
export function createScheduler(mode: ActorMode): Scheduler {
  return mode === 'inline' ? new InlineScheduler() : new EventLoopScheduler();
}

/** Drains on later macrotask turns, with a bounded amount of work per turn. */
class EventLoopScheduler implements Scheduler {
  readonly #runQueue = new Fifo<Runnable>();
  #turnScheduled = false;

  wake(runnable: Runnable): void {
    if (runnable.queued) return;
    runnable.queued = true;
    this.#runQueue.push(runnable);
    this.#scheduleTurn();
  }

  isIdle(): boolean {
    return !this.#turnScheduled && this.#runQueue.isEmpty();
  }

  #scheduleTurn(): void {
    if (this.#turnScheduled) return;
    this.#turnScheduled = true;
    nextTurn(() => this.#turn());
  }

  #turn(): void {
    this.#turnScheduled = false;
    const again: Runnable[] = [];
    let budget = TURN_BUDGET;
    while (budget > 0) {
      const runnable = this.#runQueue.shift();
      if (runnable === undefined) break;
      runnable.queued = false;
      const { handled, outcome } = runnable.runSlice(Math.min(budget, SLICE_BUDGET));
      budget -= Math.max(1, handled);
      if (outcome === 'more') {
        runnable.queued = true; // held back: a send this turn must not queue it again
        again.push(runnable);
      }
    }
    for (const runnable of again) this.#runQueue.push(runnable);
    if (!this.#runQueue.isEmpty()) this.#scheduleTurn();
  }
}

/** Drains synchronously in the waking call, never recursively. */
class InlineScheduler implements Scheduler {
  readonly #runQueue = new Fifo<Runnable>();
  #draining = false;

  wake(runnable: Runnable): void {
    if (!runnable.queued) {
      runnable.queued = true;
      this.#runQueue.push(runnable);
    }
    if (!this.#draining) this.#drain();
  }

  isIdle(): boolean {
    return this.#runQueue.isEmpty();
  }

  #drain(): void {
    this.#draining = true;
    try {
      for (let next = this.#runQueue.shift(); next !== undefined; next = this.#runQueue.shift()) {
        next.queued = false;
        if (next.runSlice(SLICE_BUDGET).outcome === 'more') {
          next.queued = true;
          this.#runQueue.push(next);
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}

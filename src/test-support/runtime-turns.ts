/**
 * Waiting for the event loop in tests, without sleeping.
 *
 * `nextTurn()` resolves after one `setImmediate` turn; `settle(system)` turns
 * the loop until the actor system has nothing queued. Neither measures time:
 * they wait for work to be done, so they are as fast as the machine allows.
 *
 * @module
 */

import type { ActorSystem } from '../runtime/system.js';

/** Resolves on a later macrotask turn (after already scheduled immediates). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Turn the event loop until `system` has no actor with queued work. */
export async function settle(system: ActorSystem, maxTurns = 100_000): Promise<void> {
  for (let turns = 0; !system.isIdle(); turns++) {
    if (turns >= maxTurns) throw new Error(`actor system still busy after ${maxTurns} turns`);
    await nextTurn();
  }
}

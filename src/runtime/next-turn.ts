/**
 * A later turn of the host's event loop, for the `event-loop` mode.
 *
 * Node's `setImmediate` runs after the I/O poll phase, so work scheduled on it
 * never starves I/O (scheduler.ts explains why a macrotask, not a
 * microtask). A host without it (a browser) gets the nearest equivalent, a
 * zero-delay `setTimeout`. This keeps the runtime free of Node-only APIs.
 *
 * @module
 */

type Schedule = (callback: () => void) => unknown;

const immediate = (globalThis as { setImmediate?: Schedule }).setImmediate;

/** Run `callback` on a later macrotask turn (never inside this call). */
export const nextTurn: (callback: () => void) => void =
  immediate === undefined
    ? (callback) => {
        setTimeout(callback, 0);
      }
    : (callback) => {
        immediate(callback);
      };

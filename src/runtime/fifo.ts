/**
 * A first-in first-out queue with O(1) push and shift.
 *
 * Mailboxes, the scheduler's run queue and the event bus all need a queue that
 * is drained from the front while it grows at the back. `Array.prototype.shift`
 * moves every element, so a long mailbox would cost O(n²) to drain. This queue
 * keeps a read index into its array instead and compacts the array once the
 * consumed prefix is both large and at least half of it, so memory stays
 * proportional to what is actually queued:
 *
 * ```
 *   items: [ x  x  x  a  b  c ]      x = already shifted
 *                     ^ head
 * ```
 *
 * @module
 */

/** Compact only once this many shifted slots have piled up (avoids churn on tiny queues). */
const COMPACT_THRESHOLD = 1024;

/** A FIFO queue. */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** How many items are queued. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** True when nothing is queued. */
  isEmpty(): boolean {
    return this.#head === this.#items.length;
  }

  /** Add `item` at the back. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** The front item without removing it, or `undefined` when empty. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** Remove and return the front item, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined; // let the item be collected
    this.#head++;
    this.#compactIfWasteful();
    return item;
  }

  /** Remove every item; returns how many there were. */
  clear(): number {
    const dropped = this.length;
    this.#items = [];
    this.#head = 0;
    return dropped;
  }

  #compactIfWasteful(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_THRESHOLD && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

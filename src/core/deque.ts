/**
 * A double-ended queue over a growable array: O(1) amortised push and shift, occasional compaction.
 * Used for the pool's pending tasks, where thousands of tasks may wait and `Array.shift` would be
 * quadratic.
 *
 * @module
 */

/** A FIFO with cheap removal from the front and rare insertion at the front. */
export class Deque<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Number of items held. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Appends at the back. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** Puts `items` back at the front, keeping their order. */
  unshiftAll(items: T[]): void {
    if (items.length === 0) return;
    this.#items = [...items, ...this.#items.slice(this.#head)];
    this.#head = 0;
  }

  /** Removes and returns the front item, or undefined when empty. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns every item. */
  drain(): T[] {
    const out = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    return out;
  }
}

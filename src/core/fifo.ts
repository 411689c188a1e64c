/**
 * A first-in first-out list with O(1) amortised push and shift: an array with a moving head,
 * compacted now and then. The pipe and queue servers keep their message buffers in it, a queue
 * handle its fetched items, the pool its pending tasks and a pool worker its task inbox: thousands
 * of values may wait, and `Array.shift` would make draining them quadratic.
 *
 * @module
 */

/**
 * A FIFO of values.
 *
 * @example
 * ```ts
 * import { Fifo } from "./fifo.ts";
 * const f = new Fifo<number>();
 * f.push(1);
 * f.push(2);
 * console.log(f.shift(), f.length); // 1 1
 * ```
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Number of values held. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Appends a value at the back.
   * @param v The value.
   */
  push(v: T): void {
    this.#items.push(v);
  }

  /**
   * Removes and returns the front value.
   * @returns The value, or undefined when empty.
   */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const v = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return v;
  }

  /**
   * Puts values back at the front, keeping their order (tasks taken back from a worker).
   * @param values The values, first one first.
   */
  unshiftAll(values: T[]): void {
    if (values.length === 0) return;
    this.#items = [...values, ...this.#items.slice(this.#head)];
    this.#head = 0;
  }

  /**
   * Inserts values at the positions that keep the FIFO sorted by `key` (for values handed back
   * to the server, which must return to their place in line). The FIFO must already be sorted.
   * @param values Values to insert, in any order.
   * @param key The sort key of a value.
   */
  insertSorted(values: T[], key: (v: T) => number): void {
    if (values.length === 0) return;
    const rest = this.#items.slice(this.#head) as T[];
    const merged = [...values].sort((a, b) => key(a) - key(b));
    const out: T[] = [];
    let i = 0;
    let j = 0;
    while (i < merged.length || j < rest.length) {
      if (j >= rest.length || (i < merged.length && key(merged[i]) < key(rest[j]))) out.push(merged[i++]);
      else out.push(rest[j++]);
    }
    this.#items = out;
    this.#head = 0;
  }

  /**
   * Removes and returns every value.
   * @returns The values, front first.
   */
  drain(): T[] {
    const out = this.#items.slice(this.#head) as T[];
    this.clear();
    return out;
  }

  /** Removes everything. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

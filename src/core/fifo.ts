/**
 * A first-in first-out list with O(1) push and shift (an array with a moving head), used by the
 * pipe and queue servers for their message buffers.
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
  #items: T[] = [];
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
    (this.#items as unknown[])[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return v;
  }

  /**
   * The value at position `i` from the front, without removing it.
   * @param i Index from the front.
   * @returns The value, or undefined when out of range.
   */
  at(i: number): T | undefined {
    return i < 0 || i >= this.length ? undefined : this.#items[this.#head + i];
  }

  /**
   * Inserts values at the positions that keep the FIFO sorted by `key` (for values handed back
   * to the server, which must return to their place in line). The FIFO must already be sorted.
   * @param values Values to insert, in any order.
   * @param key The sort key of a value.
   */
  insertSorted(values: T[], key: (v: T) => number): void {
    if (values.length === 0) return;
    const rest = this.#items.slice(this.#head);
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
   * Removes every value for which `drop` returns true.
   * @param drop The predicate.
   */
  removeWhere(drop: (v: T) => boolean): void {
    this.#items = this.#items.slice(this.#head).filter((v) => !drop(v));
    this.#head = 0;
  }

  /** Removes everything. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

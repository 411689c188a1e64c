/**
 * `SimpleQueue`: Python's `multiprocessing.SimpleQueue`, a thin unbounded queue over {@linkcode Queue}
 * (same server, same delivery guarantees); it travels between processes like a Queue.
 *
 * @module
 */
import { registerType } from "../channel/codec.ts";
import { Queue } from "../queue.ts";
import { REBUILD } from "../core/rebuild.ts";

/**
 * A simpler unbounded queue (Python's `SimpleQueue`): `put`, `get`, `empty`, `close`.
 *
 * @example
 * ```ts
 * import { SimpleQueue } from "multiproc";
 * const q = new SimpleQueue<number>();
 * await q.put(1);
 * console.log(await q.get()); // 1
 * ```
 */
export class SimpleQueue<T = unknown> {
  #q: Queue<T>;

  /** Makes an empty queue. */
  constructor();
  /** @internal A handle rebuilt in another process (see `core/rebuild.ts`). */
  constructor(tag: typeof REBUILD, q: Queue<T>);
  constructor(tag?: typeof REBUILD, q?: Queue<T>) {
    this.#q = tag === REBUILD && q ? q : new Queue<T>();
  }

  /**
   * Puts an item.
   * @param item A structured-clone value.
   * @returns Resolves once queued.
   * @throws {TypeError} If the item cannot be sent.
   * @throws {StateError} If closed.
   * @example
   * ```ts
   * await q.put("x");
   * ```
   */
  put(item: T): Promise<void> {
    return this.#q.put(item);
  }

  /**
   * Takes the oldest item, waiting for one.
   * @returns The item.
   * @throws {StateError} If closed.
   * @example
   * ```ts
   * const x = await q.get();
   * ```
   */
  get(): Promise<T> {
    return this.#q.get();
  }

  /**
   * Whether the queue is empty.
   * @returns True when empty.
   * @example
   * ```ts
   * console.log(await q.empty());
   * ```
   */
  empty(): Promise<boolean> {
    return this.#q.empty();
  }

  /** Closes this handle; later `put`/`get` reject with StateError. */
  close(): void {
    this.#q.close();
  }

  static {
    registerType<SimpleQueue<unknown>>({
      tag: "multiproc.SimpleQueue",
      cls: SimpleQueue,
      reduce: (s) => s.#q,
      rebuild: (q) => new SimpleQueue(REBUILD, q as Queue<unknown>),
    });
  }
}

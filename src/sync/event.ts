/**
 * `Event`: a flag over shared memory, or served by the creating process where shared memory is
 * unavailable (see `sync/lock.ts`).
 *
 * @module
 */
import { registerType } from "../channel/codec.ts";
import { REBUILD } from "../core/rebuild.ts";
import { type EventBackend, pickBackend, type SyncState } from "./_backend.ts";
import { servedEvent } from "./served.ts";
import { shmEvent } from "./shm.ts";

/**
 * A flag processes and tasks wait on: Python's `multiprocessing.Event`.
 *
 * @example
 * ```ts
 * import { Event } from "multiproc";
 * const ev = new Event();
 * setTimeout(() => ev.set(), 10);
 * console.log(await ev.wait(1000)); // true
 * ```
 */
export class Event {
  #b: EventBackend;

  static {
    registerType<Event>({
      tag: "multiproc.Event",
      cls: Event,
      reduce: (e): SyncState => e.#b.state(),
      rebuild: (s) => new Event(REBUILD, s as SyncState),
    });
  }

  /** Creates a cleared event. */
  constructor();
  /** @internal */
  constructor(tag: typeof REBUILD, state: SyncState);
  constructor(tag?: typeof REBUILD, state?: SyncState) {
    this.#b = pickBackend(tag === REBUILD ? state : undefined, shmEvent, servedEvent);
  }

  /**
   * Sets the flag and wakes every waiter in every process.
   * @example
   * ```ts
   * await ev.set();
   * ```
   */
  set(): Promise<void> {
    return this.#b.set();
  }
  /**
   * Clears the flag.
   * @example
   * ```ts
   * await ev.clear();
   * ```
   */
  clear(): Promise<void> {
    return this.#b.clear();
  }
  /**
   * Whether the flag is set.
   * @returns The flag.
   * @example
   * ```ts
   * console.log(await ev.isSet());
   * ```
   */
  isSet(): Promise<boolean> {
    return this.#b.isSet();
  }
  /**
   * Waits until the flag is set.
   * @param timeout Longest wait in ms (default: no limit; negative = 0).
   * @returns true once set, false if the time ran out.
   * @throws {TypeError} If `timeout` is not a number (rejects).
   * @example
   * ```ts
   * if (!(await ev.wait(500))) console.log("not set within 500 ms");
   * ```
   */
  wait(timeout?: number): Promise<boolean> {
    return this.#b.wait(timeout);
  }
}

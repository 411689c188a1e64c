/**
 * `Event`: a flag and a set-counter in shared memory, or served by the creating
 * process where shared memory is unavailable (see `sync/lock.ts`).
 *
 * @module
 */
import { registerType } from "../channel/codec.ts";
import { node, type Ref } from "../core/node.ts";
import { eventClear, eventIsSet, eventSet, eventWaitAsync } from "./shm/futex.ts";
import { allocate, openBlock, sharedMemory } from "./shm/arena.ts";
import { _FALSE, _TRUE, _VOID, rejecting } from "./shm/core.ts";
import type { SyncState } from "./lock.ts";
import { createServed, EventClient, refRemote, timeoutOption } from "./served.ts";

const _REBUILD = Symbol("rebuild");
/** How long `Event.wait()` polls before it sleeps, in ms. */
const _SPIN_MS = 0.05;

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
  #i32: Int32Array | null = null;
  #idx = 0;
  #name = "";
  #client: EventClient | null = null;
  #ref: Ref | null = null;
  #spinMisses = 0;
  #spinProbe = 0;

  static {
    registerType<Event>({
      tag: "multiproc.Event",
      cls: Event,
      reduce: (e): SyncState => (e.#ref ? { r: e.#ref } : { s: e.#name, o: e.#idx * 4 }),
      rebuild: (s) => new Event(_REBUILD, s as SyncState),
    });
  }

  /** Creates a cleared event. */
  constructor();
  /** @internal */
  constructor(tag: symbol, state: SyncState);
  constructor(tag?: symbol, state?: SyncState) {
    let name: string, off: number;
    if (tag === _REBUILD && state) {
      if ("r" in state) {
        this.#useRef(state.r);
        return;
      }
      [name, off] = [state.s, state.o];
    } else if (sharedMemory()) {
      const b = allocate(8);
      [name, off] = [b.name, b.off];
    } else {
      this.#useRef(node.serve(createServed("Event")));
      return;
    }
    this.#name = name;
    this.#i32 = openBlock(name, off, "Event").i32;
    this.#idx = off / 4;
  }
  #useRef(ref: Ref): void {
    this.#ref = ref;
    this.#client = new EventClient(refRemote(ref, "Event"));
  }

  /**
   * Sets the flag and wakes every waiter in every process.
   * @example
   * ```ts
   * await ev.set();
   * ```
   */
  set(): Promise<void> {
    if (this.#i32 === null) return this.#client!.set();
    eventSet(this.#i32, this.#idx);
    return _VOID;
  }
  /**
   * Clears the flag.
   * @example
   * ```ts
   * await ev.clear();
   * ```
   */
  clear(): Promise<void> {
    if (this.#i32 === null) return this.#client!.clear();
    eventClear(this.#i32, this.#idx);
    return _VOID;
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
    if (this.#i32 === null) return this.#client!.isSet();
    return eventIsSet(this.#i32, this.#idx) ? _TRUE : _FALSE;
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
    const i32 = this.#i32;
    if (i32 === null) return this.#client!.wait(timeout);
    if (eventIsSet(i32, this.#idx)) return _TRUE;
    // A short spin first: a set() by a process on another core usually lands within microseconds,
    // and sleeping costs a wake-up through the waiter thread (tens of µs).
    // Adaptive: keep spinning while spins pay off, else only probe now and then.
    if (this.#spinMisses < 8 || (++this.#spinProbe & 7) === 0) {
      const end = performance.now() + _SPIN_MS;
      while (performance.now() < end) {
        if (eventIsSet(i32, this.#idx)) {
          this.#spinMisses = 0;
          return _TRUE;
        }
      }
      this.#spinMisses++;
    }
    if (timeout === undefined) return eventWaitAsync(i32, this.#idx);
    return rejecting(() => eventWaitAsync(i32, this.#idx, timeoutOption(timeout, "Event.wait()") ?? undefined));
  }
}

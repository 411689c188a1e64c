/**
 * `Event` over shared memory: the futex event of `sync/shm/futex.ts` (flag, set-counter), with an
 * adaptive spin before a wait sleeps.
 *
 * @module
 */
import type { EventBackend, ShmState, SyncState } from "../_backend.ts";
import { timeoutOption } from "../served/client.ts";
import { blockAt } from "./arena.ts";
import { _FALSE, _TRUE, _VOID, rejecting } from "./core.ts";
import { eventClear, eventIsSet, eventSet, eventWaitAsync } from "./futex.ts";

/** How long `Event.wait()` polls before it sleeps, in ms. */
const _SPIN_MS = 0.05;

/** An `Event` over shared memory. */
export class ShmEvent implements EventBackend {
  readonly #name: string;
  readonly #i32: Int32Array;
  readonly #idx: number;
  #spinMisses = 0;
  #spinProbe = 0;

  /** @param at Where the event lives (default: a new cleared one). */
  constructor(at?: ShmState) {
    const b = blockAt(at, 8, "Event");
    this.#name = b.name;
    this.#i32 = b.i32;
    this.#idx = b.idx;
  }

  set(): Promise<void> {
    eventSet(this.#i32, this.#idx);
    return _VOID;
  }

  clear(): Promise<void> {
    eventClear(this.#i32, this.#idx);
    return _VOID;
  }

  isSet(): Promise<boolean> {
    return eventIsSet(this.#i32, this.#idx) ? _TRUE : _FALSE;
  }

  wait(timeout?: number): Promise<boolean> {
    const i32 = this.#i32;
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

  state(): SyncState {
    return { s: this.#name, o: this.#idx * 4 };
  }
}

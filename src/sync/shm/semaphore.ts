/**
 * `Semaphore` and `BoundedSemaphore` over shared memory: the futex semaphore of
 * `sync/shm/futex.ts` (value, waiters), the bound travelling in the reference.
 *
 * @module
 */
import { StateError } from "../../errors.ts";
import type { SemaphoreBackend, ShmState, SyncState } from "../_backend.ts";
import type { AcquireOptions } from "../served/client.ts";
import { blockAt } from "./arena.ts";
import { _FALSE, _TRUE, _VOID, parseAcquire, rejecting } from "./core.ts";
import { holdWith } from "../hold.ts";
import { semAcquireAsync, semRelease, semTryAcquire, semValue } from "./futex.ts";

/** A `Semaphore` or `BoundedSemaphore` over shared memory. */
export class ShmSemaphore implements SemaphoreBackend {
  readonly #what: string;
  readonly #name: string;
  readonly #i32: Int32Array;
  readonly #idx: number;
  readonly #max: number | undefined;

  /**
   * @param what `"Semaphore"` or `"BoundedSemaphore"` (a new BoundedSemaphore is bounded by `value`).
   * @param value The initial value of a new semaphore.
   * @param at Where an existing one lives (its `v` is the bound); `value` is then unused.
   */
  constructor(what: string, value: number, at?: ShmState) {
    const b = blockAt(at, 8, "Semaphore");
    if (!at) Atomics.store(b.i32, b.idx, value);
    this.#what = what;
    this.#name = b.name;
    this.#i32 = b.i32;
    this.#idx = b.idx;
    this.#max = at ? at.v : what === "BoundedSemaphore" ? value : undefined;
  }

  acquire(options?: AcquireOptions): Promise<boolean> {
    const i32 = this.#i32;
    if (options === undefined) return semAcquireAsync(i32, this.#idx);
    return rejecting(() => {
      const t = parseAcquire(options, `${this.#what}.acquire()`);
      if (t === false) return semTryAcquire(i32, this.#idx) ? _TRUE : _FALSE;
      return semAcquireAsync(i32, this.#idx, t ?? undefined);
    });
  }

  release(n = 1): Promise<void> {
    try {
      semRelease(this.#i32, this.#idx, n, this.#max);
    } catch (e) {
      if (e instanceof StateError) {
        return Promise.reject(
          new StateError(
            `BoundedSemaphore released too many times: its value would exceed its initial value ${this.#max}`,
          ),
        );
      }
      return Promise.reject(e);
    }
    return _VOID;
  }

  getValue(): Promise<number> {
    return Promise.resolve(semValue(this.#i32, this.#idx));
  }

  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    return rejecting(() => holdWith(this.acquire(options), options, this.#what, () => this.release(), () => ""));
  }

  state(): SyncState {
    return { s: this.#name, o: this.#idx * 4, v: this.#max };
  }
}

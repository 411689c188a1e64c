/**
 * `Semaphore` and `BoundedSemaphore`: a counter over shared memory, or served by the creating
 * process where shared memory is unavailable (see `sync/lock.ts`).
 *
 * @module
 */
import { registerType } from "../channel/codec.ts";
import { REBUILD } from "../core/rebuild.ts";
import { type AcquireOptions, pickBackend, type SemaphoreBackend, type SyncState } from "./_backend.ts";
import { servedSemaphore } from "./served.ts";
import { shmSemaphore } from "./shm.ts";

let _reduceSemaphore: (s: Semaphore) => SyncState;

/**
 * A counting semaphore: Python's `multiprocessing.Semaphore`. `release()` may raise the value
 * above its initial value.
 *
 * @example
 * ```ts
 * import { Semaphore } from "multiproc";
 * const sem = new Semaphore(2);
 * await using _ = await sem.hold();
 * console.log(await sem.getValue()); // 1
 * ```
 */
export class Semaphore {
  #b: SemaphoreBackend;

  static {
    const reduce = (s: Semaphore): SyncState => s.#b.state();
    _reduceSemaphore = reduce;
    registerType<Semaphore>({
      tag: "multiproc.Semaphore",
      cls: Semaphore,
      reduce,
      rebuild: (s) => new Semaphore(REBUILD, s as SyncState),
    });
  }

  /**
   * Creates a semaphore whose counter starts at `value`.
   * @param value The initial value (default 1).
   * @throws {RangeError} If `value` is not an integer from 0 to 2^31-1.
   */
  constructor(value?: number);
  /** @internal */
  constructor(tag: typeof REBUILD, state: SyncState);
  constructor(value: number | typeof REBUILD = 1, state?: SyncState) {
    const kind = this._bounded ? "BoundedSemaphore" : "Semaphore";
    const rebuild = value === REBUILD ? state : undefined;
    if (!rebuild && (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0x7fffffff)) {
      throw new RangeError(`${kind} value must be an integer from 0 to 2147483647, got ${String(value)}`);
    }
    const n = value as number;
    this.#b = pickBackend(rebuild, (at) => shmSemaphore(kind, n, at), (ref) => servedSemaphore(kind, n, ref));
  }
  /** Whether release above the initial value throws. @internal */
  get _bounded(): boolean {
    return false;
  }

  /**
   * Takes one unit, waiting (by default) until one is available.
   * @param options `block: false` answers at once; `timeout` in ms (negative = 0).
   * @returns true when taken, false when not.
   * @throws {TypeError} If an option has the wrong type (rejects).
   * @example
   * ```ts
   * if (await sem.acquire({ block: false })) await sem.release();
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    return this.#b.acquire(options);
  }

  /**
   * Gives back `n` units (default 1) and wakes as many waiters.
   * @param n How many.
   * @throws {RangeError} If `n` is not a positive integer (rejects).
   * @throws {StateError} If a BoundedSemaphore would exceed its initial value (rejects).
   * @example
   * ```ts
   * await sem.release(2);
   * ```
   */
  release(n = 1): Promise<void> {
    return this.#b.release(n);
  }

  /**
   * The current value.
   * @returns Units available now.
   * @example
   * ```ts
   * console.log(await sem.getValue());
   * ```
   */
  getValue(): Promise<number> {
    return this.#b.getValue();
  }

  /**
   * Takes one unit and resolves to a handle whose disposal gives it back.
   * @param options As for {@linkcode Semaphore.acquire}.
   * @returns The handle.
   * @throws {TimeoutError} If no unit could be taken (rejects).
   * @example
   * ```ts
   * await using _ = await sem.hold();
   * ```
   */
  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    return this.#b.hold(options);
  }
}

/**
 * A semaphore whose `release()` above the initial value throws: Python's `BoundedSemaphore`.
 *
 * @example
 * ```ts
 * import { BoundedSemaphore } from "multiproc";
 * const sem = new BoundedSemaphore(1);
 * await sem.release().catch((e) => console.log(e.name)); // "StateError"
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  static {
    registerType<BoundedSemaphore>({
      tag: "multiproc.BoundedSemaphore",
      cls: BoundedSemaphore,
      reduce: (s) => _reduceSemaphore(s),
      rebuild: (s) => new BoundedSemaphore(REBUILD, s as SyncState),
    });
  }
  /** Whether release above the initial value throws. @internal */
  override get _bounded(): boolean {
    return true;
  }
}

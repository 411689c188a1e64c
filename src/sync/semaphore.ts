/**
 * `Semaphore` and `BoundedSemaphore`: a counter in shared memory, or served by the
 * creating process where shared memory is unavailable (see `sync/lock.ts`).
 *
 * @module
 */
import { registerType } from "../channel/codec.ts";
import { node, type Ref } from "../core/node.ts";
import { StateError } from "../errors.ts";
import { semAcquireAsync, semRelease, semTryAcquire, semValue } from "./shm/futex.ts";
import { allocate, openBlock, sharedMemory } from "./shm/arena.ts";
import { _FALSE, _TRUE, _VOID, holdWith, parseAcquire, rejecting } from "./shm/core.ts";
import type { SyncState } from "./lock.ts";
import { type AcquireOptions, createServed, refRemote, SemaphoreClient } from "./served.ts";

const _REBUILD = Symbol("rebuild");

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
  #i32: Int32Array | null = null;
  #idx = 0;
  #name = "";
  #max: number | undefined;
  #client: SemaphoreClient | null = null;
  #ref: Ref | null = null;

  static {
    const reduce = (s: Semaphore): SyncState => (s.#ref ? { r: s.#ref } : { s: s.#name, o: s.#idx * 4, v: s.#max });
    _reduceSemaphore = reduce;
    registerType<Semaphore>({ tag: "multiproc.Semaphore", cls: Semaphore, reduce, rebuild: (s) => new Semaphore(_REBUILD, s as SyncState) });
  }

  /**
   * Creates a semaphore whose counter starts at `value`.
   * @param value The initial value (default 1).
   * @throws {RangeError} If `value` is not an integer from 0 to 2^31-1.
   */
  constructor(value?: number);
  /** @internal */
  constructor(tag: symbol, state: SyncState);
  constructor(value: number | symbol = 1, state?: SyncState) {
    const kind = this._bounded ? "BoundedSemaphore" : "Semaphore";
    if (value === _REBUILD && state) {
      if ("r" in state) this.#useRef(state.r, kind);
      else this.#useBlock(state.s, state.o, state.v);
      return;
    }
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
      throw new RangeError(`${kind} value must be an integer from 0 to 2147483647, got ${String(value)}`);
    }
    if (sharedMemory()) {
      const b = allocate(8);
      Atomics.store(b.i32, b.off / 4, value);
      this.#useBlock(b.name, b.off, this._bounded ? value : undefined);
    } else {
      this.#useRef(node.serve(createServed(kind, { value })), kind);
    }
  }
  #useBlock(name: string, off: number, max: number | undefined): void {
    this.#name = name;
    this.#i32 = openBlock(name, off, "Semaphore").i32;
    this.#idx = off / 4;
    this.#max = max;
  }
  #useRef(ref: Ref, kind: string): void {
    this.#ref = ref;
    this.#client = new SemaphoreClient(refRemote(ref, kind), kind);
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
    const i32 = this.#i32;
    if (i32 === null) return this.#client!.acquire(options);
    if (options === undefined) return semAcquireAsync(i32, this.#idx);
    return rejecting(() => {
      const t = parseAcquire(options, `${this.#kind}.acquire()`);
      if (t === false) return semTryAcquire(i32, this.#idx) ? _TRUE : _FALSE;
      return semAcquireAsync(i32, this.#idx, t ?? undefined);
    });
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
    if (this.#i32 === null) return this.#client!.release(n);
    try {
      semRelease(this.#i32, this.#idx, n, this.#max);
    } catch (e) {
      if (e instanceof StateError) {
        return Promise.reject(new StateError(`BoundedSemaphore released too many times: its value would exceed its initial value ${this.#max}`));
      }
      return Promise.reject(e);
    }
    return _VOID;
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
    if (this.#i32 === null) return this.#client!.getValue();
    return Promise.resolve(semValue(this.#i32, this.#idx));
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
    if (this.#i32 === null) return this.#client!.hold(options);
    return rejecting(() => holdWith(this.acquire(options), options, this.#kind, () => this.release(), () => ""));
  }

  get #kind(): string {
    return this._bounded ? "BoundedSemaphore" : "Semaphore";
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
      rebuild: (s) => new BoundedSemaphore(_REBUILD, s as SyncState),
    });
  }
  /** Whether release above the initial value throws. @internal */
  override get _bounded(): boolean {
    return true;
  }
}

/**
 * `AsyncResult`: the handle `Pool.applyAsync`, `mapAsync` and `starmapAsync` return, like Python's
 * `multiprocessing.pool.AsyncResult`, and awaitable.
 *
 * @module
 */
import { StateError, TimeoutError } from "../errors.ts";
import { settledWithin } from "../core/settled_within.ts";

export { settledWithin };

/** Reports an error thrown by a user callback the way event listeners do, without losing it. */
export function reportCallbackError(e: unknown): void {
  queueMicrotask(() => {
    throw e;
  });
}

/**
 * The result of a task started with `Pool.applyAsync` (or `mapAsync`, `starmapAsync`). It is also
 * a `PromiseLike`, so `await pool.applyAsync(f, [1])` gives the value.
 *
 * @example
 * ```ts
 * import { Pool, isMainProcess } from "multiproc";
 * export function square(x: number) { return x * x; }
 * if (isMainProcess(import.meta)) {
 *   await using pool = new Pool(2);
 *   const r = pool.applyAsync(square, [7]);
 *   console.log(await r.get(10_000), r.ready(), r.successful()); // 49 true true
 * }
 * ```
 */
export class AsyncResult<R> implements PromiseLike<R> {
  #state = 0;
  #value: R | undefined;
  #error: unknown;
  #settled: Promise<void>;

  /**
   * Wraps a promise; `callback` or `errorCallback` runs once, in this process, when it settles.
   * @param promise The outcome to track.
   * @param callbacks Optional `callback(value)` and `errorCallback(error)`.
   * @throws {TypeError} If a callback is not a function.
   */
  constructor(
    promise: PromiseLike<R>,
    callbacks: { callback?: (r: R) => void; errorCallback?: (e: Error) => void } = {},
  ) {
    const { callback, errorCallback } = callbacks;
    if (callback !== undefined && typeof callback !== "function") {
      throw new TypeError("The callback option must be a function");
    }
    if (errorCallback !== undefined && typeof errorCallback !== "function") {
      throw new TypeError("The errorCallback option must be a function");
    }
    this.#settled = Promise.resolve(promise).then((v) => {
      try {
        callback?.(v);
      } catch (e) {
        reportCallbackError(e);
      }
      this.#value = v;
      this.#state = 1;
    }, (e) => {
      try {
        errorCallback?.(e as Error);
      } catch (e2) {
        reportCallbackError(e2);
      }
      this.#error = e;
      this.#state = 2;
    });
  }

  /** Whether the task has finished (successfully or not). */
  ready(): boolean {
    return this.#state !== 0;
  }

  /**
   * Whether the task finished without an error.
   * @returns True for a value, false for an error.
   * @throws {StateError} If the task has not finished yet (check {@linkcode ready} or `await wait()`).
   */
  successful(): boolean {
    if (this.#state === 0) {
      throw new StateError("AsyncResult.successful() was called before the result is ready: await wait() first");
    }
    return this.#state === 1;
  }

  /**
   * Waits until the result is ready, or at most `timeout` ms (no error on timeout).
   * @param timeout Milliseconds to wait at most; wait forever when omitted.
   * @returns Resolves when ready or timed out.
   */
  async wait(timeout?: number): Promise<void> {
    await settledWithin(this.#settled, timeout, "AsyncResult.wait()");
  }

  /**
   * The value, once ready.
   * @param timeout Milliseconds to wait at most; wait forever when omitted.
   * @returns The task's value.
   * @throws {TimeoutError} If the result is not ready within `timeout` ms (the task keeps running).
   * @throws The task's own error if it failed.
   */
  async get(timeout?: number): Promise<R> {
    if (!(await settledWithin(this.#settled, timeout, "AsyncResult.get()"))) {
      throw new TimeoutError(
        `AsyncResult.get() timed out after ${timeout} ms; the task is still running: call get() again to keep waiting`,
      );
    }
    if (this.#state === 2) throw this.#error;
    return this.#value as R;
  }

  /** Makes the result awaitable: resolves with the value or rejects with the task's error. */
  then<T1 = R, T2 = never>(
    onfulfilled?: ((value: R) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.get().then(onfulfilled, onrejected);
  }
}

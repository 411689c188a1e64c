/**
 * `Future` (Python's `concurrent.futures.Future`, awaitable), `asCompleted` and `waitFutures`.
 *
 * @module
 */
import { CancelledError, TimeoutError } from "../errors.ts";
import { settledWithin } from "./async_result.ts";

const _PENDING = 0;
const _RUNNING = 1;
const _CANCELLED = 2;
const _FINISHED = 3;

/** How an executor drives a future it created (not part of the public surface). */
export interface FutureControl<R> {
  /** Marks the future running (its task reached a worker). */
  running(): void;
  /** Sets the value. */
  resolve(v: R): void;
  /** Sets the error. */
  reject(e: unknown): void;
  /** Called by `cancel()` on a pending future to take the task out of the queue. */
  onCancel(hook: () => void): void;
}

let _control: <R>(f: Future<R>) => FutureControl<R>;
let _failed: (f: Future<unknown>) => boolean;

/** Gives the executor the controls of a new future. */
export function futureControl<R>(f: Future<R>): FutureControl<R> {
  return _control(f);
}

/**
 * The eventual result of a task submitted to a `ProcessPoolExecutor`. Awaiting it gives the value
 * (or throws the task's error).
 *
 * @example
 * ```ts
 * import { ProcessPoolExecutor, isMainProcess } from "multiproc";
 * export function add(a: number, b: number) { return a + b; }
 * if (isMainProcess(import.meta)) {
 *   await using ex = new ProcessPoolExecutor({ maxWorkers: 2 });
 *   const f = ex.submit(add, 1, 2);
 *   f.addDoneCallback((d) => console.log("done", d.done()));
 *   console.log(await f.result(5000)); // 3
 * }
 * ```
 */
export class Future<R = unknown> implements PromiseLike<R> {
  #state = _PENDING;
  #value: R | undefined;
  #error: unknown;
  #callbacks: Array<(f: Future<R>) => void> = [];
  #cancelHook: (() => void) | undefined;
  #settle!: () => void;
  #settled = new Promise<void>((r) => (this.#settle = r));

  static {
    _control = <T>(f: Future<T>): FutureControl<T> => ({
      running: () => {
        if (f.#state === _PENDING) f.#state = _RUNNING;
      },
      resolve: (v) => f.#finish(true, v),
      reject: (e) => f.#finish(false, e),
      onCancel: (hook) => void (f.#cancelHook = hook),
    });
    _failed = (f) => f.#state === _FINISHED && f.#error !== undefined;
  }

  /**
   * Waits for the value.
   * @param timeout Milliseconds to wait at most; forever when omitted.
   * @returns The task's value.
   * @throws {TimeoutError} If not done within `timeout` ms. @throws {CancelledError} If cancelled.
   * @throws The task's own error if it failed.
   */
  async result(timeout?: number): Promise<R> {
    await this.#wait(timeout, "result");
    if (this.#state === _CANCELLED) throw new CancelledError("Future.result(): the future was cancelled before it ran");
    if (this.#error !== undefined) throw this.#error;
    return this.#value as R;
  }

  /**
   * Waits for the task and returns its error, or null when it succeeded.
   * @param timeout Milliseconds to wait at most; forever when omitted.
   * @returns The error or null.
   * @throws {TimeoutError} If not done within `timeout` ms. @throws {CancelledError} If cancelled.
   */
  async exception(timeout?: number): Promise<Error | null> {
    await this.#wait(timeout, "exception");
    if (this.#state === _CANCELLED) {
      throw new CancelledError("Future.exception(): the future was cancelled before it ran");
    }
    return (this.#error as Error | undefined) ?? null;
  }

  /**
   * Cancels the task if it has not started yet.
   * @returns True if the future is (now) cancelled, false if it runs or has finished.
   */
  cancel(): boolean {
    if (this.#state === _CANCELLED) return true;
    if (this.#state !== _PENDING) return false;
    this.#state = _CANCELLED;
    this.#cancelHook?.();
    this.#done();
    return true;
  }

  /** Whether the future was cancelled. */
  cancelled(): boolean {
    return this.#state === _CANCELLED;
  }

  /** Whether the task is running in a worker now. */
  running(): boolean {
    return this.#state === _RUNNING;
  }

  /** Whether the future finished or was cancelled. */
  done(): boolean {
    return this.#state === _CANCELLED || this.#state === _FINISHED;
  }

  /**
   * Runs `fn(this)` once the future is done (at once if it already is). An error thrown by `fn`
   * is logged and ignored, as in Python.
   * @param fn The callback.
   * @throws {TypeError} If `fn` is not a function.
   */
  addDoneCallback(fn: (f: Future<R>) => void): void {
    if (typeof fn !== "function") throw new TypeError("Future.addDoneCallback() expects a function");
    if (this.done()) this.#call(fn);
    else this.#callbacks.push(fn);
  }

  /** Makes the future awaitable. */
  then<T1 = R, T2 = never>(
    onfulfilled?: ((value: R) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.result().then(onfulfilled, onrejected);
  }

  async #wait(timeout: number | undefined, what: string): Promise<void> {
    if (!(await settledWithin(this.#settled, timeout, `Future.${what}()`))) {
      throw new TimeoutError(
        `Future.${what}() timed out after ${timeout} ms; the task has not finished: call it again to keep waiting`,
      );
    }
  }

  #finish(ok: boolean, v: unknown): void {
    if (this.#state === _CANCELLED || this.#state === _FINISHED) return;
    this.#state = _FINISHED;
    if (ok) this.#value = v as R;
    else this.#error = v ?? new Error("The task failed without an error value");
    this.#done();
  }

  #done(): void {
    this.#settle();
    for (const fn of this.#callbacks.splice(0)) this.#call(fn);
  }

  #call(fn: (f: Future<R>) => void): void {
    try {
      fn(this);
    } catch (e) {
      console.error("An exception was raised by a Future done callback:", e);
    }
  }
}

function _futures<R>(fs: Iterable<Future<R>>, what: string): Set<Future<R>> {
  if (fs === null || fs === undefined || typeof (fs as Iterable<Future<R>>)[Symbol.iterator] !== "function") {
    throw new TypeError(`${what} expects an iterable of futures`);
  }
  const set = new Set(fs);
  for (const f of set) if (!(f instanceof Future)) throw new TypeError(`${what} expects futures, got ${typeof f}`);
  return set;
}

/**
 * Yields the futures as they complete (finished or cancelled), already-done ones first, like
 * Python's `as_completed`: `for await (const f of asCompleted(fs)) await f.result()`.
 *
 * The items are the `Future` objects themselves (`f === fs[i]`, usable as `Map`/`Set` keys), not
 * their values. TypeScript types every item of a `for await` loop as its awaited value, since an
 * async generator can never yield a thenable; the element type `Future<R> & { then: never }` stops
 * that, so the items are typed as the futures they are. Read a value with `f.result()`.
 *
 * @param fs The futures (duplicates are yielded once).
 * @param timeout Milliseconds, counted from the call, for all of them to complete.
 * @returns The futures in completion order.
 * @throws {TimeoutError} If some are still unfinished when `timeout` expires.
 * @example
 * ```ts
 * import { asCompleted, ProcessPoolExecutor, isMainProcess } from "multiproc";
 * import assert from "node:assert/strict";
 * export function twice(x: number) { return 2 * x; }
 * if (isMainProcess(import.meta)) {
 *   await using ex = new ProcessPoolExecutor({ maxWorkers: 2 });
 *   const inputs = new Map([1, 2, 3].map((x) => [ex.submit(twice, x), x]));
 *   for await (const f of asCompleted(inputs.keys())) {
 *     assert.equal(await f.result(), 2 * inputs.get(f)!); // f is the Future submit() returned
 *   }
 * }
 * ```
 */
export function asCompleted<R>(fs: Iterable<Future<R>>, timeout?: number): AsyncIterable<Future<R> & { then: never }> {
  const pending = _futures(fs, "asCompleted()");
  const total = pending.size;
  const deadline = timeout === undefined || timeout === null ? undefined : Date.now() + timeout;
  const ready: Future<R>[] = [];
  let wake: (() => void) | undefined;
  let active = true;
  for (const f of pending) {
    f.addDoneCallback(() => {
      if (!active) return;
      ready.push(f);
      wake?.();
    });
  }
  const finish = (): IteratorResult<Future<R>> => {
    active = false;
    return { value: undefined, done: true };
  };
  // A hand-written iterator: an async generator would await each yielded future (it is thenable).
  const iterator: AsyncIterator<Future<R>> = {
    async next(): Promise<IteratorResult<Future<R>>> {
      if (!active || pending.size === 0) return finish();
      while (ready.length === 0) {
        const left = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
        const woke = new Promise<void>((r) => (wake = r));
        const inTime = await settledWithin(woke, left, "asCompleted()");
        wake = undefined;
        if (!inTime) {
          finish();
          throw new TimeoutError(
            `asCompleted() timed out: ${pending.size} (of ${total}) futures unfinished after ${timeout} ms`,
          );
        }
      }
      const f = ready.shift()!;
      pending.delete(f);
      return { value: f, done: false };
    },
    return(): Promise<IteratorResult<Future<R>>> {
      return Promise.resolve(finish());
    },
  };
  // The same futures, typed so that `for await` does not type them as their values (see above).
  return { [Symbol.asyncIterator]: () => iterator as AsyncIterator<Future<R> & { then: never }> };
}

/**
 * When {@linkcode waitFutures} returns.
 *
 * @example
 * ```ts
 * import { isMainProcess, ProcessPoolExecutor, type ReturnWhen, waitFutures } from "multiproc";
 * import assert from "node:assert/strict";
 * export function check(x: number) { if (x < 0) throw new RangeError(`negative: ${x}`); return x; }
 * if (isMainProcess(import.meta)) {
 *   await using ex = new ProcessPoolExecutor({ maxWorkers: 2 });
 *   const when: ReturnWhen = "FIRST_EXCEPTION";
 *   const { done } = await waitFutures([ex.submit(check, -1), ex.submit(check, 2)], { returnWhen: when });
 *   const errors = await Promise.all([...done].map((f) => f.exception()));
 *   assert.ok(errors.some((e) => e instanceof RangeError)); // it returned once a future failed
 * }
 * ```
 */
export type ReturnWhen = "FIRST_COMPLETED" | "FIRST_EXCEPTION" | "ALL_COMPLETED";

/**
 * Waits until `returnWhen` holds or `timeout` expires (no error on timeout).
 * @param fs The futures.
 * @param options `timeout` (ms) and `returnWhen` (default "ALL_COMPLETED").
 * @returns The futures split into done and not done.
 * @throws {TypeError} If `fs` holds something else than futures or `returnWhen` is unknown.
 * @example
 * ```ts
 * import { ProcessPoolExecutor, waitFutures, isMainProcess } from "multiproc";
 * export function twice(x: number) { return 2 * x; }
 * if (isMainProcess(import.meta)) {
 *   await using ex = new ProcessPoolExecutor();
 *   const { done } = await waitFutures([ex.submit(twice, 1)], { returnWhen: "FIRST_COMPLETED" });
 *   console.log(done.size); // 1
 * }
 * ```
 */
export async function waitFutures<R>(
  fs: Iterable<Future<R>>,
  options: { timeout?: number; returnWhen?: ReturnWhen } = {},
): Promise<{ done: Set<Future<R>>; notDone: Set<Future<R>> }> {
  const all = _futures(fs, "waitFutures()");
  const returnWhen = options.returnWhen ?? "ALL_COMPLETED";
  if (!["FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED"].includes(returnWhen)) {
    throw new TypeError(
      `waitFutures() returnWhen must be "FIRST_COMPLETED", "FIRST_EXCEPTION" or "ALL_COMPLETED", got ${returnWhen}`,
    );
  }
  const failed = (f: Future<R>) => _failed(f as Future<unknown>);
  const met = (): boolean => {
    const done = [...all].filter((f) => f.done());
    if (done.length === all.size) return true;
    if (returnWhen === "FIRST_COMPLETED") return done.length > 0;
    if (returnWhen === "FIRST_EXCEPTION") return done.some(failed);
    return false;
  };
  if (!met()) {
    let wake!: () => void;
    const woke = new Promise<void>((r) => (wake = r));
    let active = true;
    for (const f of all) f.addDoneCallback(() => active && met() && wake());
    try {
      await settledWithin(woke, options.timeout, "waitFutures()");
    } finally {
      active = false;
    }
  }
  const done = new Set<Future<R>>();
  const notDone = new Set<Future<R>>();
  for (const f of all) (f.done() ? done : notDone).add(f);
  return { done, notDone };
}

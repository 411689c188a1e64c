/**
 * `Pool`: Python's `multiprocessing.Pool` — a fixed set of worker processes that run functions
 * for you: `apply`, `applyAsync`, `map`, `mapAsync`, `imap`, `imapUnordered`, `starmap`,
 * `starmapAsync`, with per-call `timeout` and `signal`.
 *
 * @module
 */
import { StateError, TimeoutError } from "./errors.ts";
import type { Target } from "./process.ts";
import { cpuCount } from "./process/current.ts";
import { type Engine, type EngineFactory, localEngine, type PoolKind, PoolTask } from "./pool/engine.ts";
import { AsyncResult } from "./pool/async_result.ts";
import { MODE_APPLY, MODE_MAP, MODE_STARMAP } from "./pool/worker.ts";
import { type CallOptions, checkCallOptions, chunkCount, chunksOf, positiveInt, runStream } from "./pool/stream.ts";

export { AsyncResult };
export type { CallOptions };

/**
 * Options of {@linkcode Pool}.
 *
 * @example
 * ```ts
 * import { isMainProcess, Pool, type PoolOptions } from "multiproc";
 * import assert from "node:assert/strict";
 * let greeting = "";
 * export function setup(word: string) { greeting = word; } // runs once in each worker
 * export function greet(name: string) { return `${greeting}, ${name}`; }
 * if (isMainProcess(import.meta)) {
 *   const options: PoolOptions = { processes: 2, initializer: setup, initargs: ["hello"], maxTasksPerChild: 100 };
 *   await using pool = new Pool(options);
 *   assert.deepEqual(await pool.map(greet, ["Ada", "Alan"]), ["hello, Ada", "hello, Alan"]);
 * }
 * ```
 */
export interface PoolOptions {
  /** Number of worker processes (default `cpuCount()`). */
  processes?: number;
  /** Runs once in every worker when it starts, with `initargs`. */
  initializer?: Target;
  /** Arguments for `initializer`. */
  initargs?: unknown[];
  /** Tasks (a chunk counts as one) a worker runs before it is replaced; default no limit. */
  maxTasksPerChild?: number;
  /** Default module for function targets (else inferred from the caller). */
  module?: string | URL;
}

/**
 * Options of `map`-like calls: chunk size plus per-call limits.
 *
 * @example
 * ```ts
 * import { isMainProcess, Pool, type MapOptions } from "multiproc";
 * import assert from "node:assert/strict";
 * export function square(x: number) { return x * x; }
 * if (isMainProcess(import.meta)) {
 *   await using pool = new Pool(2);
 *   const options: MapOptions = { chunksize: 25, timeout: 60_000 }; // 4 tasks of 25 items
 *   const xs = Array.from({ length: 100 }, (_, i) => i);
 *   assert.deepEqual(await pool.map(square, xs, options), xs.map((x) => x * x));
 * }
 * ```
 */
export interface MapOptions extends CallOptions {
  /** Items per task sent to a worker (map default: Python's `ceil(n / (4 * processes))`; imap: 1). */
  chunksize?: number;
}

/**
 * Options of `applyAsync`.
 *
 * @example
 * ```ts
 * import { type ApplyAsyncOptions, isMainProcess, Pool } from "multiproc";
 * import assert from "node:assert/strict";
 * export function square(x: number) { return x * x; }
 * if (isMainProcess(import.meta)) {
 *   await using pool = new Pool(1);
 *   const seen: number[] = [];
 *   const options: ApplyAsyncOptions<number> = {
 *     callback: (v) => seen.push(v),
 *     errorCallback: (e) => console.error(e),
 *   };
 *   await pool.applyAsync(square, [7], options).wait();
 *   assert.deepEqual(seen, [49]); // the callback ran in this process
 * }
 * ```
 */
export interface ApplyAsyncOptions<R> extends CallOptions {
  /** Called in this process with the value. */
  callback?: (r: R) => void;
  /** Called in this process with the error. */
  errorCallback?: (e: Error) => void;
}

/**
 * Options of `mapAsync` and `starmapAsync`.
 *
 * @example
 * ```ts
 * import { isMainProcess, type MapAsyncOptions, Pool } from "multiproc";
 * import assert from "node:assert/strict";
 * export function add(a: number, b: number) { return a + b; }
 * if (isMainProcess(import.meta)) {
 *   await using pool = new Pool(1);
 *   let sums: number[] = [];
 *   const options: MapAsyncOptions<number> = { chunksize: 2, callback: (values) => (sums = values) };
 *   await pool.starmapAsync(add, [[1, 2], [3, 4], [5, 6]], options).wait();
 *   assert.deepEqual(sums, [3, 7, 11]);
 * }
 * ```
 */
export interface MapAsyncOptions<R> extends MapOptions {
  /** Called in this process with all values. */
  callback?: (r: R[]) => void;
  /** Called in this process with the error. */
  errorCallback?: (e: Error) => void;
}

function _iterable(v: unknown, what: string, allowAsync: boolean): void {
  const ok = v !== null && v !== undefined &&
    (typeof (v as Iterable<unknown>)[Symbol.iterator] === "function" ||
      (allowAsync && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function"));
  if (!ok) {
    throw new TypeError(
      `${what} expects an ${allowAsync ? "iterable or async iterable" : "iterable"}, got ${
        v === null ? "null" : typeof v
      }`,
    );
  }
}

/**
 * The chunks' results as one array, in order: one preallocated copy (`Array.prototype.flat` took
 * 16% of a 200k-item map's time in the owner on Node).
 */
function _joinChunks(parts: unknown[][]): unknown[] {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Array(n);
  let o = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) out[o++] = p[i];
  }
  return out;
}

/**
 * A pool of worker processes, like Python's `multiprocessing.Pool`. Workers start at once and are
 * replaced when they die (the task a dead worker was running rejects with `WorkerLostError`), also
 * when they are killed while starting. Only a deterministic start failure breaks the pool (every
 * pending and later task rejects with `BrokenProcessPool`): an initializer that throws, or three
 * workers in a row that end by themselves before they are ready (an exit code or a crash signal,
 * e.g. a module that fails to load). An environment that kills every worker it starts (SIGKILL)
 * makes the pool keep replacing them while tasks wait: give calls a `timeout` there.
 *
 * A task's error arrives with its `name`, message, stack, cause and own properties. It is an
 * instance of its class when the class is built in, a library error, registered with
 * `registerErrorClass`, or exported by the task's module once the parent's scan of that module has
 * finished (it starts when the module's first function is submitted, and finishes when that module
 * has finished evaluating). No result waits for that scan: from an entry script still in its
 * top-level `await`, an unregistered class arrives as a plain `Error` with the class's name.
 *
 * @example
 * ```ts
 * import { Pool, isMainProcess } from "multiproc";
 * export function square(x: number) { return x * x; }
 * if (isMainProcess(import.meta)) {
 *   await using pool = new Pool(2);
 *   console.log(await pool.map(square, [1, 2, 3])); // [1, 4, 9]
 *   for await (const y of pool.imap(square, [4, 5])) console.log(y); // 16, 25
 * }
 * ```
 */
export class Pool implements AsyncDisposable {
  #engine: Engine;
  #size: number;

  /** The class name the engine reports (a `ThreadPool` runs threads). @internal */
  static readonly _poolKind: PoolKind = "Pool";
  /** Makes the engine (a cluster's `Pool` sends tasks to worker nodes). @internal */
  static readonly _engine: EngineFactory = localEngine;
  /** The number of workers when none is given. @internal */
  static readonly _defaultSize: () => number = cpuCount;

  /**
   * Starts the worker processes.
   * @param processes Number of workers (default `cpuCount()`), or an options object.
   * @throws {RangeError} If `processes` or `maxTasksPerChild` is not an integer ≥ 1.
   * @throws {TypeError} If an option has the wrong type or the initializer cannot be sent.
   */
  constructor(processes?: number | PoolOptions) {
    const o: PoolOptions = typeof processes === "object" && processes !== null ? processes : { processes };
    const cls = new.target as unknown as typeof Pool;
    const kind = cls._poolKind;
    if (typeof processes !== "object" && processes !== undefined && typeof processes !== "number") {
      throw new TypeError(`${kind} expects a number of workers or an options object, got ${typeof processes}`);
    }
    const size = o.processes ?? cls._defaultSize();
    this.#engine = cls._engine(kind, size, "processes", o);
    this.#size = size;
  }

  /** Pids of the current workers (thread ids in a `ThreadPool`). */
  get _pids(): number[] {
    return this.#engine.pids;
  }

  /** Ends the worker with id `id` (from {@linkcode _pids}) as if killed from outside (tests). */
  _killWorker(id: number): void {
    this.#engine.killWorker(id);
  }

  /**
   * Runs `fn(...args)` in a worker and resolves with its value.
   * @param fn The function (exported from a module, or self-contained).
   * @param args Its arguments.
   * @param options `timeout` (ms) and `signal`: the worker running the call is killed and replaced.
   * @returns The value.
   * @throws {StateError} If the pool is closed or terminated.
   * @throws {TimeoutError} After `timeout` ms, or the signal's reason once it aborts.
   * @throws {WorkerLostError} If the worker died while running the call. Else the function's own error.
   */
  async apply<R>(fn: Target<R>, args: unknown[] = [], options: CallOptions = {}): Promise<R> {
    return await this.#applyPromise(fn, args, options, "apply") as R;
  }

  /**
   * Starts `fn(...args)` in a worker and returns at once.
   * @param fn The function.
   * @param args Its arguments.
   * @param options `callback`/`errorCallback` (exactly one runs, in this process), `timeout`, `signal`.
   * @returns The result handle (also awaitable).
   * @throws {StateError} If the pool is closed or terminated.
   * @throws {TypeError} If `fn` cannot be sent or an option has the wrong type.
   */
  applyAsync<R>(fn: Target<R>, args: unknown[] = [], options: ApplyAsyncOptions<R> = {}): AsyncResult<R> {
    const p = this.#applyPromise(fn, args, options, "applyAsync") as Promise<R>;
    return new AsyncResult(p, options);
  }

  /**
   * `fn(item)` for every item, in input order. Not fail-fast: the first error (in input order) is
   * reported after every chunk has finished.
   * @param fn The function.
   * @param iterable The items (read completely first).
   * @param options `chunksize`, `timeout`, `signal`.
   * @returns The values.
   * @throws {RangeError} If `chunksize` < 1. Errors thrown by `iterable` propagate unchanged.
   */
  async map<R>(fn: Target<R>, iterable: Iterable<unknown>, options: MapOptions = {}): Promise<R[]> {
    return await this.#mapPromise(fn, iterable, options, MODE_MAP, "map") as R[];
  }

  /**
   * Like {@linkcode map}, returning at once.
   * @param fn The function.
   * @param iterable The items.
   * @param options `chunksize`, `callback`, `errorCallback`, `timeout`, `signal`.
   * @returns The result handle.
   * @throws {StateError} If the pool is closed. @throws {RangeError} If `chunksize` < 1.
   */
  mapAsync<R>(fn: Target<R>, iterable: Iterable<unknown>, options: MapAsyncOptions<R> = {}): AsyncResult<R[]> {
    return new AsyncResult(this.#mapPromise(fn, iterable, options, MODE_MAP, "mapAsync") as Promise<R[]>, options);
  }

  /**
   * `fn(...args)` for every args array, in input order.
   * @param fn The function.
   * @param iterable Argument arrays.
   * @param options `chunksize`, `timeout`, `signal`.
   * @returns The values.
   * @throws {RangeError} If `chunksize` < 1.
   */
  async starmap<R>(fn: Target<R>, iterable: Iterable<unknown[]>, options: MapOptions = {}): Promise<R[]> {
    return await this.#mapPromise(fn, iterable, options, MODE_STARMAP, "starmap") as R[];
  }

  /**
   * Like {@linkcode starmap}, returning at once.
   * @param fn The function.
   * @param iterable Argument arrays.
   * @param options `chunksize`, `callback`, `errorCallback`, `timeout`, `signal`.
   * @returns The result handle.
   * @throws {StateError} If the pool is closed. @throws {RangeError} If `chunksize` < 1.
   */
  starmapAsync<R>(fn: Target<R>, iterable: Iterable<unknown[]>, options: MapAsyncOptions<R> = {}): AsyncResult<R[]> {
    return new AsyncResult(
      this.#mapPromise(fn, iterable, options, MODE_STARMAP, "starmapAsync") as Promise<R[]>,
      options,
    );
  }

  /**
   * Lazy `map` in input order over a sync or async (possibly infinite) iterable. It reads the input
   * only as the consumer advances: at most `4 × processes` chunks are in flight or buffered.
   * @param fn The function.
   * @param iterable The items.
   * @param options `chunksize` (default 1), `timeout` (for the whole iteration), `signal`.
   * @returns The values, as an async iterable.
   * @throws {StateError} If the pool is closed. @throws {RangeError} If `chunksize` < 1.
   */
  imap<R>(
    fn: Target<R>,
    iterable: Iterable<unknown> | AsyncIterable<unknown>,
    options: MapOptions = {},
  ): AsyncIterable<R> {
    return this.#stream(fn, iterable, options, true, "imap");
  }

  /**
   * Like {@linkcode imap}, yielding each chunk's values as soon as it completes.
   * @param fn The function.
   * @param iterable The items.
   * @param options `chunksize` (default 1), `timeout`, `signal`.
   * @returns The values in completion order.
   * @throws {StateError} If the pool is closed. @throws {RangeError} If `chunksize` < 1.
   */
  imapUnordered<R>(
    fn: Target<R>,
    iterable: Iterable<unknown> | AsyncIterable<unknown>,
    options: MapOptions = {},
  ): AsyncIterable<R> {
    return this.#stream(fn, iterable, options, false, "imapUnordered");
  }

  /** No new tasks; the workers exit once the submitted work is done. */
  close(): void {
    this.#engine.close();
  }

  /**
   * Stops the workers now (SIGTERM, then SIGKILL after 1 s); outstanding tasks reject with StateError.
   * @returns Resolves once every worker has exited.
   */
  async terminate(): Promise<void> {
    await this.#engine.terminate();
  }

  /**
   * Waits for the workers to exit.
   * @throws {StateError} If neither {@linkcode close} nor {@linkcode terminate} was called.
   */
  async join(): Promise<void> {
    if (this.#engine.state === "open") {
      throw new StateError("Pool.join() needs the pool closed first: call close() or terminate() before join()");
    }
    await this.#engine.join();
  }

  /** Terminates the pool, like leaving Python's `with Pool() as p:` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.terminate();
  }

  #checkOpen(what: string): void {
    const s = this.#engine.state;
    if (s === "open") return;
    const why = s === "closed" ? "closed" : s === "broken" ? "broken" : "terminated";
    throw new StateError(`Pool.${what}() was called on a ${why} pool: create a new Pool to run more tasks`);
  }

  #applyPromise(fn: Target, args: unknown[], options: CallOptions, what: string): Promise<unknown> {
    this.#checkOpen(what);
    if (!Array.isArray(args)) throw new TypeError(`Pool.${what}() args must be an array, got ${typeof args}`);
    checkCallOptions(options, what);
    const fnId = this.#engine.functionId(fn);
    return this.#job(fnId, MODE_APPLY, [args], options, what).then((r) => r[0]);
  }

  #mapPromise(
    fn: Target,
    iterable: Iterable<unknown>,
    options: MapOptions,
    mode: number,
    what: string,
  ): Promise<unknown[]> {
    this.#checkOpen(what);
    _iterable(iterable, `Pool.${what}()`, false);
    checkCallOptions(options, what);
    if (options.chunksize !== undefined) positiveInt(options.chunksize, `Pool.${what}() chunksize`);
    const fnId = this.#engine.functionId(fn);
    // An array is only read (sliced into chunks), so it needs no copy of its own.
    const items = Array.isArray(iterable) ? iterable as unknown[] : Array.from(iterable);
    if (mode === MODE_STARMAP) {
      for (const a of items) {
        if (!Array.isArray(a)) {
          throw new TypeError(`Pool.${what}() expects an iterable of argument arrays, got an item of type ${typeof a}`);
        }
      }
    }
    if (items.length === 0) return Promise.resolve([]);
    const size = options.chunksize ?? chunkCount(items.length, this.#size);
    return this.#job(fnId, mode, chunksOf(items, size), options, what).then((parts) =>
      _joinChunks(parts as unknown[][])
    );
  }

  /** Runs tasks; resolves with every value in order or rejects with the first error once all ended. */
  #job(fnId: number, mode: number, payloads: unknown[], o: CallOptions, what: string): Promise<unknown[]> {
    const engine = this.#engine;
    return new Promise((resolve, reject) => {
      const { timeout, signal } = o;
      if (signal?.aborted) return reject(signal.reason);
      const results = new Array(payloads.length);
      const tasks: PoolTask[] = [];
      let left = payloads.length;
      let firstError: { i: number; e: unknown } | undefined;
      let over = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const end = () => {
        over = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const stop = (reason: unknown) => {
        if (over) return;
        end();
        for (const t of tasks) engine.cancel(t, reason);
        reject(reason);
      };
      const onAbort = () => stop(signal!.reason);
      payloads.forEach((payload, i) => {
        tasks.push(
          new PoolTask(fnId, mode, payload, (ok, v) => {
            if (over) return;
            if (ok) results[i] = v;
            else if (!firstError || i < firstError.i) firstError = { i, e: v };
            if (--left > 0) return;
            end();
            if (firstError) reject(firstError.e);
            else resolve(results);
          }),
        );
      });
      if (timeout !== undefined) {
        timer = setTimeout(
          () =>
            stop(
              new TimeoutError(
                `Pool.${what}() timed out after ${timeout} ms; ${engine.onCancel}`,
              ),
            ),
          timeout,
        );
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      for (const t of tasks) engine.submit(t);
    });
  }

  #stream<R>(fn: Target, iterable: unknown, options: MapOptions, ordered: boolean, what: string): AsyncIterable<R> {
    this.#checkOpen(what);
    _iterable(iterable, `Pool.${what}()`, true);
    checkCallOptions(options, what);
    const chunksize = options.chunksize ?? 1;
    positiveInt(chunksize, `Pool.${what}() chunksize`);
    const fnId = this.#engine.functionId(fn);
    return runStream<R>(this.#engine, {
      fnId,
      iterable: iterable as Iterable<unknown> | AsyncIterable<unknown>,
      chunksize,
      ordered,
      ahead: 4 * this.#size,
      options,
      what: `Pool.${what}()`,
    });
  }
}

/**
 * Python's `multiprocessing.pool.ThreadPool`: the whole {@linkcode Pool} API, with worker threads of
 * this process instead of worker processes (`processes` is the number of threads, as in Python).
 * The engine is the same; only the workers differ. Threads start faster and take less memory than
 * processes, and, unlike Python's threads, run JavaScript truly in parallel. Each worker thread has
 * its own copy of the task's module, as a worker process does.
 *
 * @example
 * ```ts
 * import { isMainProcess, ThreadPool } from "multiproc";
 * import assert from "node:assert/strict";
 * export function square(x: number) { return x * x; }
 * if (isMainProcess(import.meta)) {
 *   await using pool = new ThreadPool(2);
 *   assert.deepEqual(await pool.map(square, [1, 2, 3]), [1, 4, 9]);
 *   assert.equal(await pool.apply(square, [4]), 16);
 * }
 * ```
 */
export class ThreadPool extends Pool {
  /** @internal */
  static override readonly _poolKind: PoolKind = "ThreadPool";
}

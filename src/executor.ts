/**
 * `ProcessPoolExecutor`: Python's `concurrent.futures.ProcessPoolExecutor` — workers started on
 * demand and reused, `submit` returning a {@linkcode Future}, a lazy-result `map`, and
 * `shutdown`. A worker killed while it holds work breaks the executor (`BrokenProcessPool`).
 *
 * @module
 */
import { BrokenProcessPool, CancelledError, StateError, TimeoutError } from "./errors.ts";
import type { Target } from "./process.ts";
import { cpuCount } from "./process/current.ts";
import { type Engine, type EngineFactory, localEngine, type PoolKind, PoolTask } from "./pool/engine.ts";
import { asCompleted, Future, futureControl, type ReturnWhen, waitFutures } from "./pool/future.ts";
import { MODE_APPLY, MODE_MAP } from "./pool/worker.ts";
import { chunksOf, positiveInt } from "./pool/stream.ts";

export { asCompleted, Future, type ReturnWhen, waitFutures };

/**
 * Options of {@linkcode ProcessPoolExecutor}.
 *
 * @example
 * ```ts
 * import { type ExecutorOptions, isMainProcess, ProcessPoolExecutor } from "multiproc";
 * import assert from "node:assert/strict";
 * let base = 0;
 * export function setup(b: number) { base = b; } // runs once in each worker
 * export function offset(x: number) { return base + x; }
 * if (isMainProcess(import.meta)) {
 *   const options: ExecutorOptions = { maxWorkers: 2, initializer: setup, initargs: [100], maxTasksPerChild: 50 };
 *   await using ex = new ProcessPoolExecutor(options);
 *   assert.equal(await ex.submit(offset, 1).result(), 101);
 * }
 * ```
 */
export interface ExecutorOptions {
  /** Most worker processes at once (default `cpuCount()`). */
  maxWorkers?: number;
  /** Runs once in every worker when it starts; if it throws, the executor is broken. */
  initializer?: Target;
  /** Arguments for `initializer`. */
  initargs?: unknown[];
  /** Tasks a worker runs before it is replaced; default no limit. */
  maxTasksPerChild?: number;
  /** Default module for function targets (else inferred from the caller). */
  module?: string | URL;
}

/**
 * Runs functions in worker processes and returns futures, like Python's
 * `concurrent.futures.ProcessPoolExecutor`. As in Python, a worker lost (killed by a signal, also
 * while starting) while the executor has work breaks it: pending futures reject with
 * `BrokenProcessPool`. A task's error keeps its class under the same rule as `Pool`'s.
 *
 * @example
 * ```ts
 * import { ProcessPoolExecutor, isMainProcess } from "multiproc";
 * export function square(x: number) { return x * x; }
 * if (isMainProcess(import.meta)) {
 *   await using ex = new ProcessPoolExecutor({ maxWorkers: 2 });
 *   console.log(await ex.submit(square, 3)); // 9
 *   for await (const y of ex.map(square, [1, 2, 3])) console.log(y); // 1, 4, 9
 * }
 * ```
 */
export class ProcessPoolExecutor implements AsyncDisposable {
  /** The class name the engine reports (a `ThreadPoolExecutor` runs threads). @internal */
  static readonly _poolKind: PoolKind = "ProcessPoolExecutor";
  /** Makes the engine (a cluster's executor sends tasks to worker nodes). @internal */
  static readonly _engine: EngineFactory = localEngine;
  /** The number of workers when none is given. @internal */
  static readonly _defaultSize: () => number = cpuCount;
  #engine: Engine;
  #shutdown = false;
  #futures = new Set<Future<unknown>>();

  /**
   * Creates the executor; workers start with the first `submit` and are reused.
   * @param options Worker count, initializer, recycling, default module.
   * @throws {RangeError} If `maxWorkers` or `maxTasksPerChild` is not an integer ≥ 1.
   * @throws {TypeError} If an option has the wrong type.
   */
  constructor(options: ExecutorOptions = {}) {
    const cls = new.target as unknown as typeof ProcessPoolExecutor;
    const kind = cls._poolKind;
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`${kind} options must be an object`);
    }
    this.#engine = cls._engine(kind, options.maxWorkers ?? cls._defaultSize(), "maxWorkers", options);
  }

  /** Pids of the current workers (thread ids in a `ThreadPoolExecutor`). */
  get _pids(): number[] {
    return this.#engine.pids;
  }

  /** Ends the worker with id `id` (from {@linkcode _pids}) as if killed from outside (tests). */
  _killWorker(id: number): void {
    this.#engine.killWorker(id);
  }

  /**
   * Schedules `fn(...args)` and returns its future. An argument that cannot be sent rejects that
   * future with a `TypeError`.
   * @param fn The function (exported from a module, or self-contained).
   * @param args Its arguments.
   * @returns The future.
   * @throws {StateError} After `shutdown()`. @throws {BrokenProcessPool} If the executor is broken.
   * @throws {TypeError} If `fn` cannot be sent.
   */
  submit<R>(fn: Target<R>, ...args: unknown[]): Future<R> {
    this.#check("submit");
    return this.#submit<R>(this.#engine.functionId(fn), MODE_APPLY, args);
  }

  /**
   * `fn(item)` for every item; the items are submitted at once, the values come in input order.
   * @param fn The function.
   * @param iterable The items.
   * @param options `timeout` (ms from this call, for every value) and `chunksize` (default 1).
   * @returns The values as an async iterable.
   * @throws {StateError} After `shutdown()`. @throws {RangeError} If `chunksize` < 1.
   * @throws {TimeoutError} While iterating, if a value is not ready by the deadline.
   */
  map<R>(
    fn: Target<R>,
    iterable: Iterable<unknown>,
    options: { timeout?: number; chunksize?: number } = {},
  ): AsyncIterable<R> {
    this.#check("map");
    if (
      iterable === null || iterable === undefined ||
      typeof (iterable as Iterable<unknown>)[Symbol.iterator] !== "function"
    ) {
      throw new TypeError(
        `ProcessPoolExecutor.map() expects an iterable, got ${iterable === null ? "null" : typeof iterable}`,
      );
    }
    const chunksize = options.chunksize ?? 1;
    positiveInt(chunksize, "ProcessPoolExecutor.map() chunksize");
    const { timeout } = options;
    if (timeout !== undefined && (typeof timeout !== "number" || Number.isNaN(timeout))) {
      throw new TypeError("ProcessPoolExecutor.map() timeout must be a number of milliseconds");
    }
    const fnId = this.#engine.functionId(fn);
    const deadline = timeout === undefined ? undefined : Date.now() + timeout;
    const futures = chunksOf(Array.from(iterable), chunksize).map((c) => this.#submit<R[]>(fnId, MODE_MAP, c));
    return (async function* () {
      try {
        while (futures.length) {
          const f = futures[0];
          const left = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
          let values: R[];
          try {
            values = await f.result(left);
          } catch (e) {
            if (e instanceof TimeoutError) {
              throw new TimeoutError(
                `ProcessPoolExecutor.map() timed out after ${timeout} ms with ${futures.length} chunks unfinished`,
              );
            }
            throw e;
          }
          futures.shift();
          for (const v of values) yield v;
        }
      } finally {
        for (const f of futures) f.cancel();
      }
    })();
  }

  /**
   * No new submits; optionally cancels queued futures, and waits for the rest and the workers.
   * @param options `wait` (default true): wait for pending futures and worker exit;
   *   `cancelFutures` (default false): cancel futures that have not started.
   * @returns Resolves when done (at once with `wait: false`).
   */
  async shutdown(options: { wait?: boolean; cancelFutures?: boolean } = {}): Promise<void> {
    const { wait = true, cancelFutures = false } = options;
    this.#shutdown = true;
    if (cancelFutures) { for (const f of [...this.#futures]) f.cancel(); }
    this.#engine.close();
    if (wait) await this.#engine.join();
  }

  /** Shuts down and waits, like leaving Python's `with ProcessPoolExecutor() as ex:` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown({ wait: true });
  }

  #check(what: string): void {
    const broken = this.#engine.brokenError;
    if (broken) {
      throw new BrokenProcessPool(
        `ProcessPoolExecutor.${what}() was called on a broken executor: create a new ProcessPoolExecutor`,
        {
          cause: broken,
        },
      );
    }
    if (this.#shutdown || this.#engine.state !== "open") {
      throw new StateError(
        `ProcessPoolExecutor.${what}() was called after shutdown(): create a new ProcessPoolExecutor`,
      );
    }
  }

  #submit<R>(fnId: number, mode: number, payload: unknown): Future<R> {
    const f = new Future<R>();
    const c = futureControl(f);
    const task = new PoolTask(fnId, mode, payload, (ok, v) => {
      this.#futures.delete(f as Future<unknown>);
      if (ok) c.resolve(v as R);
      else c.reject(v);
    });
    task.onDispatch = () => c.running();
    c.onCancel(() => {
      this.#futures.delete(f as Future<unknown>);
      this.#engine.cancel(task, new CancelledError("The future was cancelled"), true);
    });
    this.#futures.add(f as Future<unknown>);
    this.#engine.submit(task);
    return f;
  }
}

/**
 * Python's `concurrent.futures.ThreadPoolExecutor`: the whole {@linkcode ProcessPoolExecutor} API,
 * with worker threads of this process instead of worker processes. As in the process executor, a
 * worker ended from outside while the executor has work breaks it (`BrokenProcessPool`), and a task
 * that calls `exit(n)` rejects its own future with `WorkerLostError` (its `exitCode` is `n`).
 *
 * @example
 * ```ts
 * import { isMainProcess, ThreadPoolExecutor } from "multiproc";
 * import assert from "node:assert/strict";
 * export function square(x: number) { return x * x; }
 * if (isMainProcess(import.meta)) {
 *   await using ex = new ThreadPoolExecutor({ maxWorkers: 2 });
 *   assert.equal(await ex.submit(square, 3), 9);
 *   const out: number[] = [];
 *   for await (const y of ex.map(square, [1, 2, 3])) out.push(y);
 *   assert.deepEqual(out, [1, 4, 9]);
 * }
 * ```
 */
export class ThreadPoolExecutor extends ProcessPoolExecutor {
  /** @internal */
  static override readonly _poolKind: PoolKind = "ThreadPoolExecutor";
}

/**
 * `Thread`: a worker thread of this process running a target, with the lifecycle of Python's
 * `threading.Thread` (start, join, isAlive, name, ident, daemon) and of `Process` (exitCode,
 * terminate, `await using`). The helpers about the thread this code runs in (`currentThread`,
 * `mainThread`, `activeCount`, `enumerateThreads`, `isMainThread`) are in `thread/current.ts`.
 *
 * A thread has its own copy of every module (JavaScript threads share no objects), so its target is
 * given as for a `Process`, and its args travel the same way; every primitive of the library works
 * between threads, and between threads and processes, in any mix.
 *
 * @module
 */
import { encode, withTypeModules } from "./channel/codec.ts";
import { decodeError } from "./channel/codec.ts";
import { node } from "./core/node.ts";
import { runOptions, runSpec } from "./core/target.ts";
import { settledWithin } from "./core/settled_within.ts";
import { StateError } from "./errors.ts";
import { GUARD_MESSAGE, type Target } from "./process.ts";
import type { ThreadSetup } from "./thread/setup.ts";
import { currentThreadDaemon, trackThread } from "./thread/current.ts";
import { runThread, type ThreadWorker } from "./thread/workers.ts";

/**
 * Options of {@linkcode Thread}.
 *
 * @example
 * ```ts
 * import { currentThread, isMainProcess, Thread, type ThreadOptions } from "multiproc";
 * import assert from "node:assert/strict";
 * export function check(word: string) {
 *   assert.equal(currentThread().name, "speaker");
 *   assert.equal(word, "hi");
 * }
 * if (isMainProcess(import.meta)) {
 *   const options: ThreadOptions = { target: check, args: ["hi"], name: "speaker" };
 *   const t = new Thread(options);
 *   t.start();
 *   await t.join();
 *   assert.equal(t.exitCode, 0);
 * }
 * ```
 */
export interface ThreadOptions {
  /** The function the thread runs. */
  target?: Target;
  /** Module that exports `target` (default: inferred from the caller). */
  module?: string | URL;
  /** Arguments passed to `target`. */
  args?: unknown[];
  /** Thread name (default `Thread-N`). */
  name?: string;
  /**
   * A daemon thread does not keep the process alive, and ends with it (default: the creating
   * thread's flag, false in the main thread).
   */
  daemon?: boolean;
}

/** Exit code of a thread ended by {@linkcode Thread.terminate} (as a process ended by SIGTERM). */
const _TERMINATED = -15;

/** Set by the class's static block: gives a thread its own `Thread` object. */
let _makeCurrent: (t: Thread, ident: number) => void;
/** Set by the class's static block: see {@linkcode freshThread}. */
let _makeFresh: (t: Thread) => void;

/**
 * A thread that runs `target(...args)` (or an overridden {@linkcode Thread.run}) in a worker thread
 * of this process, like Python's `threading.Thread`, except that it runs truly in parallel. An
 * uncaught error prints `Exception in thread <name>:` and its stack on stderr (as Python's
 * `threading.excepthook`), ends the thread with exit code 1, and is {@linkcode Thread.error}.
 *
 * @example
 * ```ts
 * import { isMainProcess, Thread } from "multiproc";
 * import assert from "node:assert/strict";
 * export function fib(n: number): number { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
 * if (isMainProcess(import.meta)) {
 *   const threads = [20, 21].map((n) => new Thread({ target: fib, args: [n] }));
 *   for (const t of threads) t.start();
 *   for (const t of threads) await t.join();
 *   assert.deepEqual(threads.map((t) => t.exitCode), [0, 0]);
 * }
 * ```
 */
export class Thread implements AsyncDisposable {
  #target: Target | undefined;
  #module: string | undefined;
  #args: unknown[];
  #name: string;
  #daemon: boolean;
  #worker: ThreadWorker | undefined;
  #ident: number | undefined;
  #exited: Promise<number> | undefined;
  #exitCode: number | null = null;
  #error: Error | undefined;
  #terminated = false;
  #current = false;
  #fresh = false;

  static {
    _makeCurrent = (t, ident) => {
      t.#current = true;
      t.#ident = ident;
    };
    _makeFresh = (t) => void (t.#fresh = true);
  }

  /**
   * Creates the thread object; the thread starts with {@linkcode Thread.start}.
   * @param options What to run and how.
   * @throws {TypeError} If an option has the wrong type.
   */
  constructor(options: ThreadOptions = {}) {
    const run = runOptions("Thread", options, new.target !== Thread ? new.target : undefined);
    const { name, daemon } = options;
    this.#target = run.target;
    this.#args = run.args;
    this.#module = run.module;
    this.#name = name ?? `Thread-${node.nextNumber(1)}`;
    this.#daemon = daemon === undefined ? currentThreadDaemon() : Boolean(daemon);
  }

  /** The thread name (only used for display). */
  get name(): string {
    return this.#name;
  }
  set name(v: string) {
    if (typeof v !== "string") throw new TypeError("Thread name must be a string");
    this.#name = v;
  }

  /** Whether this is a daemon thread; settable only before start. */
  get daemon(): boolean {
    return this.#daemon;
  }
  set daemon(v: boolean) {
    if (this.#worker) throw new StateError("Cannot change daemon of a thread that has started");
    this.#daemon = Boolean(v);
  }

  /** The runtime's thread id (unique in the process; 0 for the main thread); undefined before start. */
  get ident(): number | undefined {
    return this.#ident;
  }

  /**
   * Null while running or unstarted; then 0 when the target returned, 1 after an uncaught error,
   * `n` after `exit(n)`, -15 after {@linkcode Thread.terminate}.
   */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** The uncaught error that ended the thread (rebuilt in this thread), if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Runs the target in this thread. Override it in a subclass to run your own code in the thread. */
  run(): unknown {
    return this.#target?.(...this.#args);
  }

  /**
   * Starts the thread now.
   * @throws {StateError} If already started.
   * @throws {TypeError} If an argument cannot be sent to another thread.
   */
  start(): void {
    if (this.#worker || this.#current) {
      throw new StateError(`${this.#name} has already been started: a thread can be started only once`);
    }
    if (node.importing) throw new Error(GUARD_MESSAGE);
    const { spec: target, fields } = runSpec(this, Thread, this.#target, this.#module);
    const [payload, needs] = withTypeModules(() => encode({ args: this.#args, fields }, "args"));
    const setup: Omit<ThreadSetup, "self"> = {
      authkey: node.authkey,
      name: node.name,
      identity: node.identity,
      daemon: node.daemon,
      parent: node.parent,
      rootPid: node.rootPid,
      treeDir: node.treeDir,
      parentAddress: node.addressName,
      counters: node.counters,
      thread: { name: this.#name, daemon: this.#daemon, reuse: !this.#fresh },
      target,
      payload,
      needs,
    };
    let ended!: (code: number) => void;
    this.#exited = new Promise<number>((resolve) => (ended = resolve));
    this.#worker = runThread(
      setup,
      {
        message: (m, a) => this.#fromThread(m, a),
        ended: (code) => ended(code),
      },
      this.#daemon,
      this.#fresh,
    );
    this.#ident = this.#worker.handle.threadId;
    const untrack = trackThread(this);
    this.#exited = this.#exited.then((code) => {
      // A worker terminated while it is still starting reports 0 on Node (1 once it runs).
      this.#exitCode = this.#terminated && (code === 0 || code === 1) ? _TERMINATED : code;
      untrack();
      return this.#exitCode;
    });
  }

  #fromThread(method: string, args: unknown[]): void {
    if (method !== "error") return;
    try {
      this.#error = decodeError(args[0]);
    } catch (e) {
      this.#error = e as Error;
    }
  }

  /**
   * Waits until the thread ends, or at most `timeout` ms (no error on timeout: check
   * {@linkcode isAlive}).
   * @throws {StateError} If the thread was never started, or joins itself.
   */
  async join(timeout?: number): Promise<void> {
    if (this.#current) throw new StateError("A thread cannot join itself");
    if (!this.#exited) throw new StateError(`Cannot join ${this.#name}: it has not been started`);
    if (this.#exitCode !== null) return;
    // A daemon thread does not keep us alive, except while someone waits for it.
    if (this.#daemon) this.#worker!.handle.ref();
    try {
      await settledWithin(this.#exited, timeout, "join()");
    } finally {
      if (this.#daemon && this.#exitCode === null) this.#worker!.handle.unref();
    }
  }

  /** Whether the thread has started and not yet ended. */
  isAlive(): boolean {
    if (this.#current) return true;
    return this.#worker !== undefined && this.#exitCode === null;
  }

  /**
   * Stops the thread at once, wherever its code is (JavaScript can; Python cannot). Its exit code
   * becomes -15.
   * @throws {StateError} If not started.
   */
  terminate(): void {
    if (!this.#worker) throw new StateError(`Cannot terminate ${this.#name}: it has not been started`);
    if (this.#exitCode !== null) return;
    this.#terminated = true;
    this.#worker.handle.terminate();
  }

  /** Terminates the thread if it is alive, then waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#worker) return;
    if (this.#exitCode === null) this.terminate();
    await this.join();
  }

  /** Resolves with the exit code once the thread has ended. */
  get _exited(): Promise<number> | undefined {
    return this.#exited;
  }
}

/**
 * Re-creates, in a thread, the `Thread` object its starter made (for a subclass: from the class and
 * the instance's own fields, without running the subclass's constructor) and marks it current.
 * @internal
 */
export function currentThreadObject(
  cls: new (...a: unknown[]) => unknown,
  fields: Record<string, unknown> | undefined,
  info: { name: string; daemon: boolean; ident: number },
): Thread {
  if (cls !== Thread && !(cls.prototype instanceof Thread)) {
    throw new TypeError(`${cls.name} is not a Thread subclass`);
  }
  const t = Reflect.construct(Thread, [{ name: info.name, daemon: info.daemon }], cls) as Thread;
  Object.assign(t, fields);
  _makeCurrent(t, info.ident);
  return t;
}

/**
 * A `Thread` object standing for a thread this code did not start (the main thread): named, with
 * its ident, alive.
 * @internal
 */
export function threadStandIn(name: string, ident: number, daemon: boolean): Thread {
  const t = new Thread({ name, daemon });
  _makeCurrent(t, ident);
  return t;
}

/**
 * Makes `t` run on a new worker that ends with it, never a parked one and never parked after:
 * a pool's worker thread, which `maxTasksPerChild` replaces to start afresh.
 * @param t A thread not started yet.
 * @returns `t`.
 * @internal
 */
export function freshThread(t: Thread): Thread {
  _makeFresh(t);
  return t;
}

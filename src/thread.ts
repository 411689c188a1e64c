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
import type { Peer } from "./channel/peer.ts";
import { node } from "./core/node.ts";
import { callerModule, describeFunction, inferModule, moduleUrl, type TargetSpec } from "./core/target.ts";
import { StateError } from "./errors.ts";
import { GUARD_MESSAGE, type Target } from "./process.ts";
import { moduleBeside } from "./runtime/module_beside.ts";
import { startThread, type ThreadHandle } from "./runtime/thread.ts";
import type { ThreadSetup } from "./thread/setup.ts";
import { currentThreadDaemon, trackThread } from "./thread/current.ts";

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

const _BOOTSTRAP: URL = moduleBeside(import.meta.url, "./child/thread_bootstrap.ts", "thread_bootstrap");

/** Exit code of a thread ended by {@linkcode Thread.terminate} (as a process ended by SIGTERM). */
const _TERMINATED = -15;

/** Set by the class's static block: gives a thread its own `Thread` object. */
let _makeCurrent: (t: Thread, ident: number) => void;

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
  #handle: ThreadHandle | undefined;
  #ident: number | undefined;
  #exited: Promise<number> | undefined;
  #exitCode: number | null = null;
  #error: Error | undefined;
  #terminated = false;
  #current = false;
  #peer: Peer | undefined;

  static {
    _makeCurrent = (t, ident) => {
      t.#current = true;
      t.#ident = ident;
    };
  }

  /**
   * Creates the thread object; the thread starts with {@linkcode Thread.start}.
   * @param options What to run and how.
   * @throws {TypeError} If an option has the wrong type.
   */
  constructor(options: ThreadOptions = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError("Thread options must be an object");
    const { target, args = [], name, daemon } = options;
    if (target !== undefined && typeof target !== "function") {
      throw new TypeError(`Thread target must be a function, got ${typeof target}`);
    }
    if (!Array.isArray(args)) throw new TypeError(`Thread args must be an array, got ${typeof args}`);
    if (name !== undefined && typeof name !== "string") {
      throw new TypeError(`Thread name must be a string, got ${typeof name}`);
    }
    this.#target = target;
    this.#args = [...args];
    this.#module = moduleUrl(options.module) ??
      (new.target !== Thread
        ? inferModule(new.target.name, callerModule())
        : target
        ? inferModule(target.name, callerModule())
        : undefined);
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
    if (this.#handle) throw new StateError("Cannot change daemon of a thread that has started");
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
    if (this.#handle || this.#current) {
      throw new StateError(`${this.#name} has already been started: a thread can be started only once`);
    }
    if (node.importing) throw new Error(GUARD_MESSAGE);
    let target: TargetSpec | null = null;
    let fields: Record<string, unknown> | undefined;
    if (this.constructor !== Thread) {
      target = { k: "cls", m: this.#module, c: this.constructor.name };
      fields = { ...this } as Record<string, unknown>;
    } else if (this.#target) {
      target = describeFunction(this.#target, this.#module);
    }
    const [payload, needs] = withTypeModules(() => encode({ args: this.#args, fields }, "args"));
    const parentAddress = node.addressName;
    const self = `${parentAddress.replace(/(\.t\d+)?\.sock$/, "")}.t${node.nextNumber(2)}.sock`;
    const setup: ThreadSetup = {
      authkey: node.authkey,
      name: node.name,
      identity: node.identity,
      daemon: node.daemon,
      parent: node.parent ?? { name: node.name, pid: 0 },
      rootPid: node.rootPid,
      treeDir: node.treeDir,
      parentAddress,
      self,
      counters: node.counters,
      thread: { name: this.#name, daemon: this.#daemon },
      target,
      payload,
      needs,
    };
    const handle = startThread(_BOOTSTRAP, { setup });
    this.#handle = handle;
    this.#ident = handle.threadId;
    this.#peer = node.threadPeer(handle.stream, self, (p, t, m, a) => {
      if (t === THREAD_INBOX) return this.#fromThread(m, a);
      return node.dispatch(p, t, m, a);
    });
    if (this.#daemon) handle.unref();
    const untrack = trackThread(this);
    this.#exited = handle.exited.then((code) => {
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
    if (timeout !== undefined && timeout !== null && (typeof timeout !== "number" || Number.isNaN(timeout))) {
      throw new TypeError(`join() timeout must be a number of milliseconds, got ${typeof timeout}`);
    }
    // A daemon thread does not keep us alive, except while someone waits for it.
    if (this.#daemon) this.#handle!.ref();
    try {
      if (timeout === undefined || timeout === null) {
        await this.#exited;
        return;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.#exited, new Promise((r) => (timer = setTimeout(r, Math.max(0, timeout))))]);
      clearTimeout(timer);
    } finally {
      if (this.#daemon) this.#handle!.unref();
    }
  }

  /** Whether the thread has started and not yet ended. */
  isAlive(): boolean {
    if (this.#current) return true;
    return this.#handle !== undefined && this.#exitCode === null;
  }

  /**
   * Stops the thread at once, wherever its code is (JavaScript can; Python cannot). Its exit code
   * becomes -15.
   * @throws {StateError} If not started.
   */
  terminate(): void {
    if (!this.#handle) throw new StateError(`Cannot terminate ${this.#name}: it has not been started`);
    if (this.#exitCode !== null) return;
    this.#terminated = true;
    this.#handle.terminate();
  }

  /** Terminates the thread if it is alive, then waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#handle) return;
    if (this.#exitCode === null) this.terminate();
    await this.join();
  }

  /** Resolves with the exit code once the thread has ended. */
  get _exited(): Promise<number> | undefined {
    return this.#exited;
  }
}

/** The id under which a thread's starter hears from the thread (its uncaught error). @internal */
export const THREAD_INBOX = "thread";

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

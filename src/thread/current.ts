/**
 * The thread this code runs in and the threads it knows: `currentThread`, `mainThread`,
 * `activeCount`, `enumerateThreads`, `isMainThread`, and the registry of the threads this thread
 * started (a child process's bootstrap waits for its non-daemon ones, as Python does at exit).
 *
 * A worker thread has its own copy of this module, so each thread knows the main thread, itself,
 * and the threads it started; `activeCount()` and `enumerateThreads()` count those.
 *
 * @module
 */
import { threadContext } from "../runtime/thread.ts";
import { type Thread, threadStandIn } from "../thread.ts";

/** Who this thread is: set by the thread's bootstrap, the main thread's otherwise. */
let _info = { name: "MainThread", ident: 0, daemon: false };
let _current: Thread | undefined;
let _main: Thread | undefined;
const _started = new Set<Thread>();

/**
 * Marks this thread as the one its starter made (the thread's bootstrap calls it).
 * @param info Its name, runtime id and daemon flag.
 * @param obj Its `Thread` object, when the target is a subclass rebuilt here.
 * @internal
 */
export function setCurrentThread(info: { name: string; ident: number; daemon: boolean }, obj?: Thread): void {
  _info = info;
  _current = obj;
}

/** The daemon flag a new `Thread` takes by default: the current thread's. @internal */
export function currentThreadDaemon(): boolean {
  return _info.daemon;
}

/**
 * Counts `t` as started by this thread until it ends (`Thread.start()` calls it).
 * @param t The started thread.
 * @returns A function to call once it has ended.
 * @internal
 */
export function trackThread(t: Thread): () => void {
  _started.add(t);
  return () => void _started.delete(t);
}

/**
 * Waits for every non-daemon thread this thread started (a child process's or thread's bootstrap
 * calls it before it exits; daemon threads end with the process).
 * @internal
 */
export async function finishThreads(): Promise<void> {
  await Promise.all([..._started].filter((t) => !t.daemon).map((t) => t.join().catch(() => {})));
}

/**
 * Whether this code runs in its process's main thread (the `isMainThread` of `node:worker_threads`).
 * For the guard around a script's main code, use `isMainProcess(import.meta)`, which is false in
 * threads too.
 *
 * @example
 * ```ts
 * import { isMainProcess, isMainThread, Thread } from "multiproc";
 * import assert from "node:assert/strict";
 * export function inThread() { assert.equal(isMainThread(), false); }
 * if (isMainProcess(import.meta)) {
 *   assert.equal(isMainThread(), true);
 *   const t = new Thread({ target: inThread });
 *   t.start();
 *   await t.join();
 *   assert.equal(t.exitCode, 0);
 * }
 * ```
 */
export function isMainThread(): boolean {
  return threadContext().isMain;
}

/**
 * The `Thread` object of the thread this code runs in (`threading.current_thread()`): in the main
 * thread, {@linkcode mainThread}; in a thread, its name, ident and daemon flag as its starter set
 * them (for a `Thread` subclass, the rebuilt instance).
 *
 * @example
 * ```ts
 * import { currentThread, isMainProcess, Thread } from "multiproc";
 * import assert from "node:assert/strict";
 * export function whoAmI() { assert.equal(currentThread().name, "worker"); }
 * if (isMainProcess(import.meta)) {
 *   assert.equal(currentThread().name, "MainThread");
 *   const t = new Thread({ target: whoAmI, name: "worker" });
 *   t.start();
 *   await t.join();
 *   assert.equal(t.exitCode, 0);
 * }
 * ```
 */
export function currentThread(): Thread {
  if (threadContext().isMain) return mainThread();
  return _current ??= threadStandIn(_info.name, _info.ident, _info.daemon);
}

/**
 * The `Thread` object of the process's main thread (`threading.main_thread()`), named "MainThread",
 * ident 0.
 *
 * @example
 * ```ts
 * import { currentThread, mainThread } from "multiproc";
 * import assert from "node:assert/strict";
 * assert.equal(mainThread(), currentThread());
 * assert.equal(mainThread().ident, 0);
 * ```
 */
export function mainThread(): Thread {
  return _main ??= threadStandIn("MainThread", 0, false);
}

/**
 * The alive threads this thread knows (`threading.enumerate()`): the main thread, the current
 * thread, and the threads it started that have not ended.
 *
 * @example
 * ```ts
 * import { enumerateThreads, isMainProcess, Thread } from "multiproc";
 * import assert from "node:assert/strict";
 * export function nap(ms: number) { return new Promise((r) => setTimeout(r, ms)); }
 * if (isMainProcess(import.meta)) {
 *   const t = new Thread({ target: nap, args: [100], name: "napper" });
 *   t.start();
 *   assert.deepEqual(enumerateThreads().map((x) => x.name), ["MainThread", "napper"]);
 *   await t.join();
 *   assert.deepEqual(enumerateThreads().map((x) => x.name), ["MainThread"]);
 * }
 * ```
 */
export function enumerateThreads(): Thread[] {
  const known = new Set<Thread>([mainThread(), currentThread()]);
  for (const t of _started) if (t.isAlive()) known.add(t);
  return [...known];
}

/**
 * How many threads {@linkcode enumerateThreads} returns (`threading.active_count()`).
 *
 * @example
 * ```ts
 * import { activeCount } from "multiproc";
 * import assert from "node:assert/strict";
 * assert.equal(activeCount(), 1); // the main thread
 * ```
 */
export function activeCount(): number {
  return enumerateThreads().length;
}

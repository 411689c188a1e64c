/**
 * `Manager`: a server process that holds shared objects (dicts, lists, namespaces, queues, locks,
 * ...) which every process reaches through proxies, like Python's `multiprocessing.Manager()`.
 *
 * @module
 */
import { node, type Ref } from "./core/node.ts";
import { describeFunction } from "./core/target.ts";
import { StateError } from "./errors.ts";
import { holdAlive, releaseAlive } from "./core/hold_alive.ts";
import { Process, type Target } from "./process.ts";
import {
  type ArrayProxy,
  type BarrierProxy,
  type ConditionProxy,
  type DictProxy,
  type EventProxy,
  type JoinableQueueProxy,
  type ListProxy,
  type LockProxy,
  makeProxy,
  managedRef,
  markShutDown,
  type NamespaceProxy,
  type QueueProxy,
  type SemaphoreProxy,
  type ValueProxy,
} from "./manager/proxies.ts";
import { runManagerServer, SERVER_MODULE } from "./manager/server.ts";
import { callRef } from "./sync/served.ts";

let _count = 0;

/**
 * A manager: a process that serves shared objects to every process of the tree through proxies.
 * Start one with {@linkcode Manager.start}; stop it with {@linkcode Manager.shutdown} or
 * `await using`. The manager process dies with its creator (even on SIGKILL).
 *
 * @example
 * ```ts
 * import { type DictProxy, isMainProcess, type LockProxy, Manager, Process } from "multiproc";
 * export async function work(d: DictProxy<number>, lock: LockProxy, n: number) {
 *   await using _ = await lock.hold();
 *   await d.set("total", ((await d.get("total")) ?? 0) + n);
 * }
 * if (isMainProcess(import.meta)) {
 *   await using m = await Manager.start();
 *   const d = await m.dict<number>();
 *   const lock = await m.Lock();
 *   const ps = [1, 2, 3].map((n) => new Process({ target: work, args: [d, lock, n] }));
 *   for (const p of ps) p.start();
 *   for (const p of ps) await p.join();
 *   console.log(await d.get("total")); // 6
 * }
 * ```
 */
export class Manager implements AsyncDisposable {
  #process: Process;
  #root: Ref;
  #closed = false;

  private constructor(process: Process, root: Ref) {
    this.#process = process;
    this.#root = root;
  }

  /**
   * Starts a manager process and resolves once it serves.
   * @returns The manager.
   * @throws {StateError} If called in a daemon process (it may not start children) (rejects).
   * @throws {Error} If the manager process exits before it is ready (rejects).
   */
  static async start(): Promise<Manager> {
    let ready!: (r: Ref) => void;
    const got = new Promise<Ref>((r) => (ready = r));
    const rendezvous = node.serve({ call: (m, a) => void (m === "ready" && ready(a[0] as Ref)) });
    const p = new Process({
      target: runManagerServer,
      module: SERVER_MODULE,
      args: [rendezvous],
      daemon: true,
      name: `SyncManager-${++_count}`,
    });
    // Keep the program alive while we wait for the manager, and only then: `p.join()` would ref the
    // daemon child until it exits, and a manager that is never shut down would strand its owner.
    holdAlive();
    try {
      p.start();
      const root = await Promise.race([
        got,
        p._exited!.then((code) => {
          throw new Error(`The manager process exited with code ${code} before it was ready (see its stderr)`);
        }),
      ]);
      return new Manager(p, root);
    } finally {
      releaseAlive();
      node.unserve(rendezvous.i);
    }
  }

  async #create<T>(kind: string, args: unknown[], extra?: unknown): Promise<T> {
    if (this.#closed) throw new StateError(`Cannot create a ${kind}: the manager has been shut down`);
    const ref = (await callRef(this.#root, "create", [kind, args], "The manager")) as Ref;
    return makeProxy(kind, ref, extra) as T;
  }

  /**
   * A shared dict (string keys).
   * @param init Initial entries.
   * @returns Its proxy.
   * @throws {StateError} After shutdown (rejects).
   */
  dict<V = unknown>(init?: Record<string, V> | Map<string, V>): Promise<DictProxy<V>> {
    return this.#create("dict", [init]);
  }
  /**
   * A shared list.
   * @param init Initial items.
   * @returns Its proxy.
   */
  list<V = unknown>(init?: Iterable<V>): Promise<ListProxy<V>> {
    return this.#create("list", [init === undefined ? undefined : [...init]]);
  }
  /**
   * A shared namespace.
   * @param init Initial attributes.
   * @returns Its proxy.
   */
  namespace(init?: Record<string, unknown>): Promise<NamespaceProxy> {
    return this.#create("namespace", [init]);
  }
  /**
   * A shared queue (Python's `queue.Queue` held by the manager).
   * @param maxsize Largest number of items (0 or omitted: unbounded).
   * @returns Its proxy.
   * @throws {RangeError} If `maxsize` is negative or not an integer (rejects).
   */
  Queue<T = unknown>(maxsize = 0): Promise<QueueProxy<T>> {
    return this.#create("Queue", [maxsize]);
  }
  /**
   * A shared joinable queue.
   * @param maxsize Largest number of items (0 or omitted: unbounded).
   * @returns Its proxy.
   */
  JoinableQueue<T = unknown>(maxsize = 0): Promise<JoinableQueueProxy<T>> {
    return this.#create("JoinableQueue", [maxsize]);
  }
  /** A shared Lock. @returns Its proxy. */
  Lock(): Promise<LockProxy> {
    return this.#create("Lock", []);
  }
  /** A shared RLock (owned by the task that acquired it). @returns Its proxy. */
  RLock(): Promise<LockProxy> {
    return this.#create("RLock", []);
  }
  /**
   * A shared Semaphore.
   * @param value Initial value (default 1).
   * @returns Its proxy.
   * @throws {RangeError} If `value` is negative or not an integer (rejects).
   */
  Semaphore(value = 1): Promise<SemaphoreProxy> {
    return this.#create("Semaphore", [value]);
  }
  /**
   * A shared BoundedSemaphore.
   * @param value Initial (and largest) value (default 1).
   * @returns Its proxy.
   */
  BoundedSemaphore(value = 1): Promise<SemaphoreProxy> {
    return this.#create("BoundedSemaphore", [value]);
  }
  /** A shared Event. @returns Its proxy. */
  Event(): Promise<EventProxy> {
    return this.#create("Event", []);
  }
  /**
   * A shared Condition.
   * @param lock A Lock or RLock from this manager (default: a new RLock).
   * @returns Its proxy.
   * @throws {TypeError} If `lock` is not a lock proxy of this manager (rejects).
   */
  Condition(lock?: LockProxy): Promise<ConditionProxy> {
    if (lock !== undefined && managedRef(lock)?.ref.a !== this.#root.a) {
      return Promise.reject(new TypeError("Manager.Condition() lock must be a Lock or RLock made by the same manager"));
    }
    return this.#create("Condition", [lock]);
  }
  /**
   * A shared Barrier. The action runs once per round in the manager process (as in Python).
   * @param parties How many parties make a round.
   * @param options `action` (a target: exported or self-contained function), `timeout` (ms).
   * @returns Its proxy.
   * @throws {RangeError} If `parties` is not a positive integer (rejects).
   */
  Barrier(parties: number, options: { action?: Target; timeout?: number } = {}): Promise<BarrierProxy> {
    const action = options.action === undefined ? null : describeFunction(options.action, undefined, "Barrier action");
    return this.#create("Barrier", [parties, action, options.timeout ?? null], parties);
  }
  /**
   * A shared typed value (typecodes of Python's `array` module, plus "c").
   * @param typecode The typecode.
   * @param value The initial value.
   * @returns Its proxy.
   * @throws {TypeError} If the typecode is not one of `b B h H i I l L q Q f d c`, or the value has the wrong type (rejects).
   * @throws {RangeError} If the value is out of the typecode's range (rejects).
   */
  Value<T = number>(typecode: string, value: T): Promise<ValueProxy<T>> {
    return this.#create("Value", [typecode, value]);
  }
  /**
   * A shared typed array.
   * @param typecode The typecode.
   * @param sequence Initial items, or a length (filled with zeros).
   * @returns Its proxy.
   * @throws {TypeError} If the typecode is not one of `b B h H i I l L q Q f d c`, or an item has the wrong type (rejects).
   * @throws {RangeError} If an item is out of range, or a length is negative or over 16,777,216 (rejects).
   */
  Array<T = number>(typecode: string, sequence: Iterable<T> | number): Promise<ArrayProxy<T>> {
    return this.#create("Array", [typecode, typeof sequence === "number" ? sequence : [...sequence]]);
  }

  /**
   * Stops the manager process; every proxy call (here and in other processes) then rejects with
   * `StateError`. Calling it again does nothing.
   */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    markShutDown(this.#root.a);
    try {
      await callRef(this.#root, "shutdown", [], "The manager");
    } catch { /* already gone */ }
    await this.#process.join(5000);
    if (this.#process.exitCode === null) {
      this.#process.kill();
      await this.#process.join();
    }
  }

  /** Same as {@linkcode Manager.shutdown}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}

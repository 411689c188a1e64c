/**
 * Manager proxies: the handles `Manager` methods resolve to. Each is a registered codec type, so
 * a proxy travels by reference inside any message (args to a child, a value stored in a dict or
 * list) and arrives as a proxy to the same referent. Every method returns a Promise; values
 * read are copies; after the manager shuts down every call rejects with `StateError`.
 *
 * @module
 */
import { registerType } from "../channel/codec.ts";
import type { Ref } from "../core/node.ts";
import { StateError } from "../errors.ts";
import {
  BarrierClient,
  callRef,
  clientCall,
  ConditionClient,
  EventClient,
  LockClient,
  type Remote,
  remoteOf,
  SemaphoreClient,
  ServedClient,
  timeoutOption,
} from "../sync/served.ts";

/** Addresses of managers this process has shut down. */
const _shut = new Set<string>();

/**
 * Marks the manager at `address` as shut down in this process (its proxies reject at once).
 * @param address The manager process's address.
 */
export function markShutDown(address: string): void {
  _shut.add(address);
}

/** How a proxy reaches its referent in the manager process. */
export class ManagedRemote implements Remote {
  /** The referent. */
  readonly ref: Ref;
  /** The proxy kind (for messages and for rebuilding). */
  readonly kind: string;
  /**
   * @param ref The referent.
   * @param kind The proxy kind ("dict", "Lock", ...).
   */
  constructor(ref: Ref, kind: string) {
    this.ref = ref;
    this.kind = kind;
  }
  /** Calls `method` on the referent; a shut-down or lost manager rejects with StateError. */
  async call(method: string, args: unknown[]): Promise<unknown> {
    if (_shut.has(this.ref.a)) {
      throw new StateError(
        `The manager of this ${this.kind} proxy has been shut down: create the object on a running Manager`,
      );
    }
    return await callRef(this.ref, method, args, `The manager of this ${this.kind} proxy`);
  }
}

/** Typed view of a proxy's call. */
function _c<T>(p: ServedClient, method: string, args: unknown[] = []): Promise<T> {
  return clientCall(p, method, args) as Promise<T>;
}

/**
 * Proxy of a dict held by a manager (string keys). A missing key reads as `undefined`.
 * @example
 * ```ts
 * import { type DictProxy, isMainProcess, Manager, Process } from "multiproc";
 * import assert from "node:assert/strict";
 * export async function record(d: DictProxy<number>, key: string) { await d.set(key, key.length); }
 * if (isMainProcess(import.meta)) {
 *   await using manager = await Manager.start();
 *   const d = await manager.dict<number>({ count: 0 });
 *   await d.set("count", (await d.get("count"))! + 1);
 *   const p = new Process({ target: record, args: [d, "child"] }); // the proxy travels to the child
 *   p.start();
 *   await p.join();
 *   assert.deepEqual(await d.toObject(), { count: 1, child: 5 });
 * }
 * ```
 */
export class DictProxy<V = unknown> extends ServedClient {
  /** Reads key `k`. @returns A copy of the value at `k`, or undefined. */
  get(k: string): Promise<V | undefined> {
    return _c(this, "get", [k]);
  }
  /** Sets `k` to `v` (a proxy stays a proxy). */
  set(k: string, v: V): Promise<void> {
    return _c(this, "set", [k, v]);
  }
  /** Removes key `k`. @returns Whether `k` was there. */
  delete(k: string): Promise<boolean> {
    return _c(this, "delete", [k]);
  }
  /** Tells whether key `k` is there. @returns Whether `k` is there. */
  has(k: string): Promise<boolean> {
    return _c(this, "has", [k]);
  }
  /** Lists the keys. @returns The keys, in insertion order. */
  keys(): Promise<string[]> {
    return _c(this, "keys");
  }
  /** Lists the values. @returns Copies of the values. */
  values(): Promise<V[]> {
    return _c(this, "values");
  }
  /** Lists the `[key, value]` pairs. @returns Copies of the entries. */
  entries(): Promise<[string, V][]> {
    return _c(this, "entries");
  }
  /** Counts the keys. @returns The number of keys. */
  size(): Promise<number> {
    return _c(this, "size");
  }
  /** Removes every key. */
  clear(): Promise<void> {
    return _c(this, "clear");
  }
  /** Sets every key of `o`. */
  update(o: Record<string, V>): Promise<void> {
    return _c(this, "update", [o]);
  }
  /** Copies the whole dict. @returns A copy as a plain object. */
  toObject(): Promise<Record<string, V>> {
    return _c(this, "toObject");
  }
}

/**
 * Proxy of a list held by a manager; indices may be negative (from the end), like Python's.
 * @example
 * ```ts
 * import { isMainProcess, Manager } from "multiproc";
 * import assert from "node:assert/strict";
 * if (isMainProcess(import.meta)) {
 *   await using manager = await Manager.start();
 *   const l = await manager.list([1, 2]);
 *   await l.append(3);
 *   assert.equal(await l.get(-1), 3);
 *   console.log(await l.toArray()); // [1, 2, 3]
 * }
 * ```
 */
export class ListProxy<V = unknown> extends ServedClient {
  /** Reads item `i`. @returns A copy of item `i`. @throws {RangeError} If out of range (rejects). */
  get(i: number): Promise<V> {
    return _c(this, "get", [i]);
  }
  /** Replaces item `i`. @throws {RangeError} If out of range (rejects). */
  set(i: number, v: V): Promise<void> {
    return _c(this, "set", [i, v]);
  }
  /** Appends `v`. */
  append(v: V): Promise<void> {
    return _c(this, "append", [v]);
  }
  /** Appends every item of `vs`. */
  extend(vs: V[]): Promise<void> {
    return _c(this, "extend", [Array.isArray(vs) ? vs : [...vs]]);
  }
  /** Inserts `v` before index `i` (clamped like Python's). */
  insert(i: number, v: V): Promise<void> {
    return _c(this, "insert", [i, v]);
  }
  /** Removes and returns item `i` (default: the last). @throws {RangeError} If empty or out of range (rejects). */
  pop(i?: number): Promise<V> {
    return _c(this, "pop", i === undefined ? [] : [i]);
  }
  /** Counts the items. @returns The number of items. */
  length(): Promise<number> {
    return _c(this, "length");
  }
  /** Copies the whole list. @returns A copy of all items. */
  toArray(): Promise<V[]> {
    return _c(this, "toArray");
  }
  /** Removes every item. */
  clear(): Promise<void> {
    return _c(this, "clear");
  }
}

/**
 * Proxy of a namespace held by a manager; a missing name reads as `undefined`.
 * @example
 * ```ts
 * import { isMainProcess, Manager } from "multiproc";
 * import assert from "node:assert/strict";
 * if (isMainProcess(import.meta)) {
 *   await using manager = await Manager.start();
 *   const ns = await manager.namespace({ x: 1 });
 *   await ns.set("y", 2);
 *   assert.deepEqual(await ns.toObject(), { x: 1, y: 2 });
 * }
 * ```
 */
export class NamespaceProxy extends ServedClient {
  /** Reads attribute `name`. @returns A copy of attribute `name`, or undefined. */
  get(name: string): Promise<unknown> {
    return _c(this, "get", [name]);
  }
  /** Sets attribute `name`. */
  set(name: string, v: unknown): Promise<void> {
    return _c(this, "set", [name, v]);
  }
  /** Copies every attribute. @returns A copy of all attributes. */
  toObject(): Promise<Record<string, unknown>> {
    return _c(this, "toObject");
  }
}

function _qargs(o: { block?: boolean; timeout?: number } | undefined, what: string): [boolean, number | null] {
  if (o !== undefined && (typeof o !== "object" || o === null)) {
    throw new TypeError(`${what} options must be an object like { block, timeout }`);
  }
  const block = o?.block ?? true;
  if (typeof block !== "boolean") throw new TypeError(`${what} block must be a boolean`);
  return [block, block ? timeoutOption(o?.timeout, what) : 0];
}

/**
 * Proxy of a queue held by a manager (Python's `queue.Queue` via a manager).
 * @example
 * ```ts
 * import { Empty, isMainProcess, Manager } from "multiproc";
 * import assert from "node:assert/strict";
 * if (isMainProcess(import.meta)) {
 *   await using manager = await Manager.start();
 *   const q = await manager.Queue<string>();
 *   await q.put("job");
 *   console.log(await q.get()); // "job"
 *   await assert.rejects(q.get({ timeout: 20 }), Empty); // raised in the manager, arrives as Empty
 * }
 * ```
 */
export class QueueProxy<T = unknown> extends ServedClient {
  /** Puts `item`. @throws {Full} If full and non-blocking or timed out (rejects). */
  async put(item: T, options?: { block?: boolean; timeout?: number }): Promise<void> {
    await _c(this, "put", [item, ..._qargs(options, "Queue.put()")]);
  }
  /** Takes an item. @returns The next item. @throws {Empty} If empty and non-blocking or timed out (rejects). */
  async get(options?: { block?: boolean; timeout?: number }): Promise<T> {
    return await _c(this, "get", _qargs(options, "Queue.get()"));
  }
  /** Puts without blocking. @throws {Full} If full (rejects). */
  putNowait(item: T): Promise<void> {
    return this.put(item, { block: false });
  }
  /** Gets without blocking. @throws {Empty} If empty (rejects). */
  getNowait(): Promise<T> {
    return this.get({ block: false });
  }
  /** Counts the items. @returns The number of items. */
  qsize(): Promise<number> {
    return _c(this, "qsize");
  }
  /** Tells whether the queue is empty. @returns Whether it is empty. */
  empty(): Promise<boolean> {
    return _c(this, "empty");
  }
  /** Tells whether the queue is full. @returns Whether it is full. */
  full(): Promise<boolean> {
    return _c(this, "full");
  }
}

/**
 * Proxy of a joinable queue held by a manager.
 * @example
 * ```ts
 * import { isMainProcess, Manager } from "multiproc";
 * if (isMainProcess(import.meta)) {
 *   await using manager = await Manager.start();
 *   const q = await manager.JoinableQueue<number>();
 *   await q.put(1);
 *   await q.get();
 *   await q.taskDone();
 *   await q.join(); // every item put has been marked done
 * }
 * ```
 */
export class JoinableQueueProxy<T = unknown> extends QueueProxy<T> {
  /** Marks one item got as processed. @throws {StateError} If called more times than items put (rejects). */
  taskDone(): Promise<void> {
    return _c(this, "taskDone");
  }
  /** Resolves once every item put has been marked done. */
  join(): Promise<void> {
    return _c(this, "join");
  }
}

/**
 * Proxy of a Value held by a manager.
 * @example
 * ```ts
 * import { isMainProcess, Manager } from "multiproc";
 * import assert from "node:assert/strict";
 * if (isMainProcess(import.meta)) {
 *   await using manager = await Manager.start();
 *   const v = await manager.Value("i", 0);
 *   await v.set((await v.get()) + 1);
 *   assert.equal(await v.get(), 1);
 * }
 * ```
 */
export class ValueProxy<T = number> extends ServedClient {
  /** Reads the value. @returns The value. */
  get(): Promise<T> {
    return _c(this, "get");
  }
  /** Sets the value. @throws {TypeError|RangeError} If it does not fit the typecode (rejects). */
  set(v: T): Promise<void> {
    return _c(this, "set", [v]);
  }
}

/**
 * Proxy of an Array held by a manager (fixed length, typed items).
 * @example
 * ```ts
 * import { isMainProcess, Manager } from "multiproc";
 * import assert from "node:assert/strict";
 * if (isMainProcess(import.meta)) {
 *   await using manager = await Manager.start();
 *   const a = await manager.Array("d", [1, 2, 3]);
 *   await a.set(0, 9);
 *   assert.deepEqual(await a.toArray(), [9, 2, 3]);
 * }
 * ```
 */
export class ArrayProxy<T = number> extends ServedClient {
  /** Reads item `i`. @returns Item `i`. @throws {RangeError} If out of range (rejects). */
  get(i: number): Promise<T> {
    return _c(this, "get", [i]);
  }
  /** Sets item `i`. @throws {RangeError} If out of range or the value does not fit (rejects). */
  set(i: number, v: T): Promise<void> {
    return _c(this, "set", [i, v]);
  }
  /** Counts the items. @returns The number of items. */
  length(): Promise<number> {
    return _c(this, "length");
  }
  /** Copies every item. @returns A copy of all items. */
  toArray(): Promise<T[]> {
    return _c(this, "toArray");
  }
}

/**
 * Proxy of a Lock or RLock held by a manager (see `LockClient`): `acquire`, `release`, `locked`
 * and `hold` as on `Lock`.
 *
 * @example
 * ```ts
 * import { isMainProcess, type LockProxy, Manager, Process } from "multiproc";
 * import assert from "node:assert/strict";
 * export async function tryLock(lock: LockProxy) { assert.equal(await lock.acquire({ block: false }), false); }
 * if (isMainProcess(import.meta)) {
 *   await using manager = await Manager.start();
 *   const lock = await manager.Lock();
 *   await using _ = await lock.hold(); // Python's `with lock:`
 *   const p = new Process({ target: tryLock, args: [lock] });
 *   p.start();
 *   await p.join();
 *   assert.equal(p.exitCode, 0); // the child found it held
 * }
 * ```
 */
export class LockProxy extends LockClient {}
/**
 * Proxy of a Semaphore or BoundedSemaphore held by a manager (see `SemaphoreClient`): `acquire`,
 * `release`, `getValue` and `hold` as on `Semaphore`.
 *
 * @example
 * ```ts
 * import { isMainProcess, Manager } from "multiproc";
 * import assert from "node:assert/strict";
 * if (isMainProcess(import.meta)) {
 *   await using manager = await Manager.start();
 *   const slots = await manager.Semaphore(2);
 *   {
 *     await using _ = await slots.hold();
 *     assert.equal(await slots.getValue(), 1);
 *   }
 *   assert.equal(await slots.getValue(), 2);
 * }
 * ```
 */
export class SemaphoreProxy extends SemaphoreClient {}
/**
 * Proxy of an Event held by a manager (see `EventClient`): `set`, `clear`, `isSet` and `wait` as
 * on {@linkcode Event}.
 *
 * @example
 * ```ts
 * import { type EventProxy, isMainProcess, Manager, Process } from "multiproc";
 * import assert from "node:assert/strict";
 * export async function go(ready: EventProxy) { await ready.set(); }
 * if (isMainProcess(import.meta)) {
 *   await using manager = await Manager.start();
 *   const ready = await manager.Event();
 *   const p = new Process({ target: go, args: [ready] });
 *   p.start();
 *   assert.equal(await ready.wait(30_000), true);
 *   await p.join();
 * }
 * ```
 */
export class EventProxy extends EventClient {}
/**
 * Proxy of a Condition held by a manager (see `ConditionClient`): `acquire`, `release`, `hold`,
 * `wait`, `waitFor`, `notify` and `notifyAll` as on `Condition`.
 *
 * @example
 * ```ts
 * import { type ConditionProxy, isMainProcess, Manager, type NamespaceProxy, Process } from "multiproc";
 * import assert from "node:assert/strict";
 * export async function produce(cond: ConditionProxy, ns: NamespaceProxy) {
 *   await using _ = await cond.hold();
 *   await ns.set("item", 42);
 *   await cond.notifyAll();
 * }
 * if (isMainProcess(import.meta)) {
 *   await using manager = await Manager.start();
 *   const cond = await manager.Condition();
 *   const ns = await manager.namespace();
 *   const p = new Process({ target: produce, args: [cond, ns] });
 *   p.start();
 *   {
 *     await using _ = await cond.hold();
 *     assert.equal(await cond.waitFor(async () => (await ns.get("item")) !== undefined, 30_000), true);
 *   }
 *   await p.join();
 *   assert.equal(await ns.get("item"), 42);
 * }
 * ```
 */
export class ConditionProxy extends ConditionClient {}
/**
 * Proxy of a Barrier held by a manager (see `BarrierClient`): `wait`, `reset`, `abort`,
 * `nWaiting`, `broken` and `parties` as on `Barrier`.
 *
 * @example
 * ```ts
 * import { isMainProcess, Manager } from "multiproc";
 * import assert from "node:assert/strict";
 * if (isMainProcess(import.meta)) {
 *   await using manager = await Manager.start();
 *   const barrier = await manager.Barrier(2);
 *   const indices = await Promise.all([barrier.wait(), barrier.wait()]);
 *   assert.deepEqual(indices.sort(), [0, 1]); // exactly one party per round gets 0
 * }
 * ```
 */
export class BarrierProxy extends BarrierClient {}

/** Every kind `Manager` creates, and how to build its proxy in this process. */
export const PROXY_KINDS: Record<string, (r: ManagedRemote, extra: unknown) => ServedClient> = {
  dict: (r) => new DictProxy(r),
  list: (r) => new ListProxy(r),
  namespace: (r) => new NamespaceProxy(r),
  Queue: (r) => new QueueProxy(r),
  JoinableQueue: (r) => new JoinableQueueProxy(r),
  Value: (r) => new ValueProxy(r),
  Array: (r) => new ArrayProxy(r),
  Lock: (r) => new LockProxy(r, "manager Lock"),
  RLock: (r) => new LockProxy(r, "manager RLock"),
  Semaphore: (r) => new SemaphoreProxy(r, "manager Semaphore"),
  BoundedSemaphore: (r) => new SemaphoreProxy(r, "manager BoundedSemaphore"),
  Event: (r) => new EventProxy(r),
  Condition: (r) => new ConditionProxy(r),
  Barrier: (r, parties) => new BarrierProxy(r, parties as number),
};

/**
 * Builds the proxy of a new referent.
 * @param kind One of {@linkcode PROXY_KINDS}.
 * @param ref The referent.
 * @param extra Kind-specific state (a Barrier's parties).
 * @returns The proxy.
 */
export function makeProxy(kind: string, ref: Ref, extra?: unknown): ServedClient {
  const make = Object.hasOwn(PROXY_KINDS, kind) ? PROXY_KINDS[kind] : undefined;
  if (make === undefined) throw new TypeError(`Unknown manager proxy kind ${JSON.stringify(kind)}`);
  return make(new ManagedRemote(ref, kind), extra);
}

/** The referent of a proxy made by a manager, or undefined for anything else. */
export function managedRef(p: unknown): { ref: Ref; kind: string } | undefined {
  if (!(p instanceof ServedClient)) return undefined;
  const r = remoteOf(p);
  return r instanceof ManagedRemote ? { ref: r.ref, kind: r.kind } : undefined;
}

function _register(tag: string, cls: abstract new (...a: any[]) => ServedClient): void {
  registerType<ServedClient>({
    tag,
    cls,
    reduce: (p) => {
      const m = managedRef(p);
      if (m === undefined) throw new TypeError(`This ${cls.name} is not a manager proxy and cannot be sent`);
      return [m.kind, m.ref.a, m.ref.i, p instanceof BarrierClient ? p.parties : null];
    },
    rebuild: (s) => {
      const [kind, a, i, extra] = s as [string, string, string, unknown];
      return makeProxy(kind, { a, i }, extra);
    },
  });
}

for (
  const [tag, cls] of [
    ["DictProxy", DictProxy],
    ["ListProxy", ListProxy],
    ["NamespaceProxy", NamespaceProxy],
    ["QueueProxy", QueueProxy],
    ["JoinableQueueProxy", JoinableQueueProxy],
    ["ValueProxy", ValueProxy],
    ["ArrayProxy", ArrayProxy],
    ["LockProxy", LockProxy],
    ["SemaphoreProxy", SemaphoreProxy],
    ["EventProxy", EventProxy],
    ["ConditionProxy", ConditionProxy],
    ["BarrierProxy", BarrierProxy],
  ] as const
) _register(`multiproc.manager.${tag}`, cls);

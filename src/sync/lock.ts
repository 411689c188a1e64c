/**
 * Synchronization primitives: `Lock`, `RLock`, `Semaphore`, `BoundedSemaphore` and
 * `Event` here, `Condition` and `Barrier` in `sync/condition.ts`. Each works between processes
 * (pass it to a child as an argument, or inside one) and between async tasks of one process.
 *
 * Over shared memory (the default where it works) every operation is a CAS on a shared word and
 * waiting sleeps on a futex without blocking the event loop. Where shared memory is unavailable
 * (Deno without `--allow-ffi`, Node without `koffi`, not Linux, or `MULTIPROC_SHM=0`) the same
 * classes are served over the channel by the process that created them, with the same semantics.
 *
 * @module
 */
import { registerType } from "../channel/codec.ts";
import { node, type Ref } from "../core/node.ts";
import { isLocked, lockAsync, tryLock, unlock } from "./shm/futex.ts";
import { allocate, openBlock, sharedMemory } from "./shm/arena.ts";
import { _FALSE, _TRUE, _VOID, holdWith, type LockCore, MutexCore, parseAcquire, rejecting, RMutexCore } from "./shm/core.ts";
import { type AcquireOptions, createServed, LockClient, refRemote, type ServedLock } from "./served.ts";

export type { AcquireOptions };
export { BoundedSemaphore, Semaphore } from "./semaphore.ts";
export { Event } from "./event.ts";

const _REBUILD = Symbol("rebuild");

/** How a primitive travels: over shared memory `{ s, o }` or served `{ r }`. @internal */
export type SyncState = { s: string; o: number; v?: number } | { r: Ref; v?: number };

let _lockCore: (l: Lock) => LockCore | null;
let _lockServed: (l: Lock) => ServedLock | null;
let _rlockCore: (l: RLock) => LockCore | null;
let _rlockServed: (l: RLock) => ServedLock | null;

/**
 * The shared-memory core of a lock (null when served), for `Condition`. @internal
 * @param l The lock.
 * @returns Its core.
 */
export function lockCoreOf(l: Lock | RLock): LockCore | null {
  return l instanceof Lock ? _lockCore(l) : _rlockCore(l);
}
/**
 * The served state machine of a lock created (served) in this process, else null. @internal
 * @param l The lock.
 * @returns The machine.
 */
export function servedLockOf(l: Lock | RLock): ServedLock | null {
  return l instanceof Lock ? _lockServed(l) : _rlockServed(l);
}

/**
 * A non-recursive lock shared by processes and async tasks: Python's `multiprocessing.Lock`.
 * Any process may release it. If a process dies while holding it, it stays held (as in Python);
 * a timed-out `hold()` names the holder's pid and whether it has exited.
 *
 * @example
 * ```ts
 * import { Lock } from "multiproc";
 * const lock = new Lock();
 * {
 *   await using _ = await lock.hold();
 *   // critical section
 * }
 * console.log(await lock.acquire({ timeout: 100 })); // true
 * await lock.release();
 * ```
 */
export class Lock {
  #i32: Int32Array | null = null;
  #idx = 0;
  #name = "";
  #core: MutexCore | null = null;
  #client: LockClient | null = null;
  #ref: Ref | null = null;
  #served: ServedLock | null = null;

  static {
    _lockCore = (l) => l.#core;
    _lockServed = (l) => l.#served;
    registerType<Lock>({
      tag: "multiproc.Lock",
      cls: Lock,
      reduce: (l): SyncState => (l.#ref ? { r: l.#ref } : { s: l.#name, o: l.#idx * 4 }),
      rebuild: (s) => new Lock(_REBUILD, s as SyncState),
    });
  }

  /** Creates an unlocked lock. */
  constructor();
  /** @internal */
  constructor(tag: symbol, state: SyncState);
  constructor(tag?: symbol, state?: SyncState) {
    if (tag === _REBUILD && state) {
      if ("r" in state) this.#useRef(state.r);
      else this.#useBlock(state.s, state.o);
    } else if (sharedMemory()) {
      const b = allocate(8);
      this.#useBlock(b.name, b.off);
    } else {
      this.#served = createServed("Lock") as ServedLock;
      this.#useRef(node.serve(this.#served));
    }
  }
  #useBlock(name: string, off: number): void {
    const b = openBlock(name, off, "Lock");
    this.#name = name;
    this.#i32 = b.i32;
    this.#idx = off / 4;
    this.#core = new MutexCore(b.i32, this.#idx);
  }
  #useRef(ref: Ref): void {
    this.#ref = ref;
    this.#client = new LockClient(refRemote(ref, "Lock"), "Lock");
  }

  /**
   * Acquires the lock, waiting (by default) until it is free.
   * @param options `block: false` answers at once (and ignores `timeout`); `timeout` in ms (negative = 0).
   * @returns true when acquired; false when not acquired (non-blocking, or timed out).
   * @throws {TypeError} If an option has the wrong type (rejects).
   * @example
   * ```ts
   * if (await lock.acquire({ timeout: 50 })) await lock.release();
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    const i32 = this.#i32;
    if (i32 === null) return this.#client!.acquire(options);
    if (options === undefined) return lockAsync(i32, this.#idx);
    if (options !== null && options.block === false) return tryLock(i32, this.#idx) ? _TRUE : _FALSE;
    let t: false | number | null;
    try {
      t = parseAcquire(options, "Lock.acquire()");
    } catch (e) {
      return Promise.reject(e);
    }
    if (t === false) return tryLock(i32, this.#idx) ? _TRUE : _FALSE;
    return lockAsync(i32, this.#idx, t ?? undefined);
  }

  /**
   * Releases the lock (any process or task may).
   * @throws {StateError} If it is not locked (rejects).
   * @example
   * ```ts
   * await lock.acquire();
   * await lock.release();
   * ```
   */
  release(): Promise<void> {
    const i32 = this.#i32;
    if (i32 === null) return this.#client!.release();
    try {
      unlock(i32, this.#idx);
    } catch (e) {
      return Promise.reject(e);
    }
    return _VOID;
  }

  /**
   * Whether anyone holds the lock.
   * @returns true while held.
   * @example
   * ```ts
   * console.log(await lock.locked());
   * ```
   */
  locked(): Promise<boolean> {
    if (this.#i32 === null) return this.#client!.locked();
    return isLocked(this.#i32, this.#idx) ? _TRUE : _FALSE;
  }

  /**
   * Acquires and resolves to a handle whose disposal releases: `await using _ = await lock.hold()`.
   * @param options As for {@linkcode Lock.acquire}.
   * @returns The handle.
   * @throws {TimeoutError} If it could not be acquired; the message names the holder's pid (rejects).
   * @example
   * ```ts
   * await using _ = await lock.hold({ timeout: 1000 });
   * ```
   */
  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    if (this.#i32 === null) return this.#client!.hold(options);
    return rejecting(() => holdWith(this.acquire(options), options, "Lock", () => this.release(), () => this.#core!.holderText()));
  }
}


/**
 * A re-entrant lock: Python's `multiprocessing.RLock`. It is owned by the async task that acquired
 * it (see the module doc of `sync/served/owner.ts` for what a task is); the owner may acquire it
 * again, and must release it as often; a release by any other task or process throws.
 *
 * @example
 * ```ts
 * import { RLock } from "multiproc";
 * const r = new RLock();
 * await r.acquire();
 * await r.acquire(); // re-entrant
 * await r.release();
 * await r.release();
 * ```
 */
export class RLock {
  #core: RMutexCore | null = null;
  #name = "";
  #client: LockClient | null = null;
  #ref: Ref | null = null;
  #served: ServedLock | null = null;

  static {
    _rlockCore = (l) => l.#core;
    _rlockServed = (l) => l.#served;
    registerType<RLock>({
      tag: "multiproc.RLock",
      cls: RLock,
      reduce: (l): SyncState => (l.#ref ? { r: l.#ref } : { s: l.#name, o: l.#core!.idx * 4 }),
      rebuild: (s) => new RLock(_REBUILD, s as SyncState),
    });
  }

  /** Creates an unlocked re-entrant lock. */
  constructor();
  /** @internal */
  constructor(tag: symbol, state: SyncState);
  constructor(tag?: symbol, state?: SyncState) {
    if (tag === _REBUILD && state) {
      if ("r" in state) this.#useRef(state.r);
      else this.#useBlock(state.s, state.o);
    } else if (sharedMemory()) {
      const b = allocate(16);
      this.#useBlock(b.name, b.off);
    } else {
      this.#served = createServed("RLock") as ServedLock;
      this.#useRef(node.serve(this.#served));
    }
  }
  #useBlock(name: string, off: number): void {
    this.#name = name;
    this.#core = new RMutexCore(openBlock(name, off, "RLock").i32, off / 4);
  }
  #useRef(ref: Ref): void {
    this.#ref = ref;
    this.#client = new LockClient(refRemote(ref, "RLock"), "RLock");
  }

  /**
   * Acquires for the calling task (at once when it already owns it).
   * @param options `block: false` answers at once; `timeout` in ms (negative = 0).
   * @returns true when acquired, false when not.
   * @throws {TypeError} If an option has the wrong type (rejects).
   * @example
   * ```ts
   * await r.acquire({ timeout: 100 });
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    if (this.#core === null) return this.#client!.acquire(options);
    return rejecting(() => {
      const t = parseAcquire(options, "RLock.acquire()");
      return this.#core!.acquire(t !== false, t === false ? null : t);
    });
  }

  /**
   * Releases once.
   * @throws {StateError} If it is unlocked or the calling task does not own it (rejects).
   * @example
   * ```ts
   * await r.release();
   * ```
   */
  release(): Promise<void> {
    if (this.#core === null) return this.#client!.release();
    try {
      this.#core.release();
    } catch (e) {
      return Promise.reject(e);
    }
    return _VOID;
  }

  /**
   * Whether any task holds it.
   * @returns true while held.
   * @example
   * ```ts
   * console.log(await r.locked());
   * ```
   */
  locked(): Promise<boolean> {
    if (this.#core === null) return this.#client!.locked();
    return isLocked(this.#core.i32, this.#core.idx) ? _TRUE : _FALSE;
  }

  /**
   * Acquires and resolves to a handle whose disposal releases.
   * @param options As for {@linkcode RLock.acquire}.
   * @returns The handle.
   * @throws {TimeoutError} If it could not be acquired (rejects).
   * @example
   * ```ts
   * await using _ = await r.hold();
   * ```
   */
  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    if (this.#core === null) return this.#client!.hold(options);
    return rejecting(() => holdWith(this.acquire(options), options, "RLock", () => this.release(), () => this.#core!.holderText()));
  }
}
